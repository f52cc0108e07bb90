/*
 * Browser client for django-aws-api-gateway-websockets. No dependencies.
 *
 *   const socket = new GatewaySocket({
 *     url: "wss://ws.example.com",      // ApiGateway.client_url
 *     channel: "room-1",               // optional ?channel=
 *     tokenUrl: "/ws/token/",          // optional: WebSocketTokenView, fetched before every connect
 *   });
 *   socket.addEventListener("message", (event) => console.log(event.detail));
 *   socket.send({ action: "chat", text: "hello" });
 *
 * Events: "open", "message" (detail: parsed JSON, or the raw string), "close"
 * (detail: { code, reason, willReconnect }), "error".
 */
(function (global) {
  "use strict";

  const DEFAULTS = {
    channel: null,
    tokenUrl: null,
    // From {% websocket_config %}; else read from the CSRF cookie.
    csrfToken: null,
    csrfCookieName: "csrftoken",
    csrfHeaderName: "X-CSRFToken",
    // API Gateway closes a connection idle for 10 minutes; ping well before.
    keepAliveSeconds: 240,
    keepAliveMessage: { handler: "ping" },
    initialBackoffSeconds: 0.5,
    maxBackoffSeconds: 30,
    maxReconnectAttempts: Infinity,
    maxQueuedMessages: 100,
  };

  function readCookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie.split(";")) {
      const cookie = part.trim();
      if (cookie.startsWith(prefix)) return decodeURIComponent(cookie.slice(prefix.length));
    }
    return null;
  }

  class GatewaySocket extends EventTarget {
    constructor(options) {
      super();
      if (!options || !options.url) throw new Error("GatewaySocket needs a url");
      this.options = Object.assign({}, DEFAULTS, options);
      this.queue = [];
      this.attempt = 0;
      this.socket = null;
      this.closedByUser = false;
      this.keepAliveTimer = null;
      this.reconnectTimer = null;
      this.connect();
    }

    get isOpen() {
      return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
    }

    async fetchToken() {
      const headers = { "Content-Type": "application/json" };
      const csrf = this.options.csrfToken || readCookie(this.options.csrfCookieName);
      if (csrf) headers[this.options.csrfHeaderName] = csrf;
      const response = await fetch(this.options.tokenUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: headers,
        body: "{}",
      });
      if (!response.ok) throw new Error("token request failed with HTTP " + response.status);
      return (await response.json()).token;
    }

    async buildUrl() {
      const url = new URL(this.options.url);
      if (this.options.channel) url.searchParams.set("channel", this.options.channel);
      if (this.options.tokenUrl) url.searchParams.set("ws_token", await this.fetchToken());
      return url.toString();
    }

    async connect() {
      this.reconnectTimer = null;
      let url;
      try {
        url = await this.buildUrl();
      } catch (error) {
        this.dispatchEvent(new CustomEvent("error", { detail: error }));
        this.scheduleReconnect(0, String(error));
        return;
      }
      if (this.closedByUser) return;
      const socket = new WebSocket(url);
      this.socket = socket;
      socket.addEventListener("open", () => {
        this.attempt = 0;
        this.startKeepAlive();
        this.dispatchEvent(new Event("open"));
        this.flushQueue();
      });
      socket.addEventListener("message", (event) => {
        let detail = event.data;
        try {
          detail = JSON.parse(event.data);
        } catch (_notJson) {
          // Plain text frames are passed on as they are.
        }
        this.dispatchEvent(new CustomEvent("message", { detail: detail }));
      });
      socket.addEventListener("error", () => {
        this.dispatchEvent(new CustomEvent("error", { detail: null }));
      });
      socket.addEventListener("close", (event) => {
        this.stopKeepAlive();
        if (this.socket === socket) this.socket = null;
        this.scheduleReconnect(event.code, event.reason);
      });
    }

    scheduleReconnect(code, reason) {
      const willReconnect =
        !this.closedByUser && this.attempt < this.options.maxReconnectAttempts;
      this.dispatchEvent(
        new CustomEvent("close", { detail: { code: code, reason: reason, willReconnect: willReconnect } })
      );
      if (!willReconnect) return;
      // Exponential backoff with full jitter, so that a gateway restart does not
      // bring every browser back in the same instant.
      const ceiling = Math.min(
        this.options.maxBackoffSeconds,
        this.options.initialBackoffSeconds * Math.pow(2, this.attempt)
      );
      this.attempt += 1;
      const delay = Math.random() * ceiling * 1000;
      this.reconnectTimer = setTimeout(() => this.connect(), delay);
    }

    startKeepAlive() {
      this.stopKeepAlive();
      if (!this.options.keepAliveSeconds) return;
      this.keepAliveTimer = setInterval(() => {
        if (this.isOpen) this.socket.send(JSON.stringify(this.options.keepAliveMessage));
      }, this.options.keepAliveSeconds * 1000);
    }

    stopKeepAlive() {
      if (this.keepAliveTimer !== null) clearInterval(this.keepAliveTimer);
      this.keepAliveTimer = null;
    }

    send(message) {
      const data = typeof message === "string" ? message : JSON.stringify(message);
      if (this.isOpen) {
        this.socket.send(data);
        return true;
      }
      if (this.queue.length >= this.options.maxQueuedMessages) return false;
      this.queue.push(data);
      return true;
    }

    flushQueue() {
      while (this.queue.length && this.isOpen) this.socket.send(this.queue.shift());
    }

    close() {
      this.closedByUser = true;
      this.stopKeepAlive();
      if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
      if (this.socket !== null) this.socket.close(1000, "closed by client");
    }
  }

  global.GatewaySocket = GatewaySocket;
})(window);
