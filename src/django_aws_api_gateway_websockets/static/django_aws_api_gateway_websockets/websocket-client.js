/*
 * Browser client for django-aws-api-gateway-websockets. No dependencies.
 *
 *   const socket = new GatewaySocket({
 *     url: "wss://ws.example.com",      // ApiGateway.client_url
 *     channel: "room-1",               // optional ?channel=
 *     tokenUrl: "/ws/token/",          // optional: WebSocketTokenView, fetched before every connect
 *   });
 *   socket.addEventListener("message", (event) => console.log(event.detail));
 *   const id = socket.send({ action: "chat", text: "hello" });   // the message's client_message_id
 *
 * Events: "open", "message" (detail: parsed JSON, or the raw string), "close"
 * (detail: { code, reason, willReconnect }), "delivered" (detail: { messageId,
 * message }), "error" (detail: null for a socket error, an Error for a failed
 * token request, or { kind: "undelivered", messageId, message, reason, requestId }
 * for a message that was not acknowledged: send `detail.message` again to retry
 * with the same id), "unauthorized" (detail: { status }: the token URL answered
 * 401 or 403, so the user is logged out; the socket has stopped for good).
 * See docs/delivery.md.
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
    // The body key that carries each message's id (WebSocketView.message_id_key).
    messageIdKey: "client_message_id",
    // A message with no acknowledgement after this long is reported undelivered.
    // Above API Gateway's 29 s integration timeout, whose error frame settles it
    // sooner. 0: never (for routes whose answers do not reach the client).
    ackTimeoutSeconds: 35,
  };

  // The token URL's answers that mean "not logged in": reconnecting cannot help.
  const LOGGED_OUT_STATUSES = [401, 403];

  function newMessageId() {
    // getRandomValues works outside secure contexts too, unlike randomUUID.
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  // What API Gateway sends a client when the integration failed (observed shape).
  function isGatewayError(data) {
    if (data === null || typeof data !== "object" || Array.isArray(data)) return false;
    const keys = Object.keys(data).sort();
    return (
      keys.length === 3 &&
      keys[0] === "connectionId" &&
      keys[1] === "message" &&
      keys[2] === "requestId" &&
      typeof data.message === "string"
    );
  }

  class TokenRefused extends Error {
    constructor(status) {
      super("token request failed with HTTP " + status);
      this.status = status;
    }
  }

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
      // Sent, not yet acknowledged, oldest first: { id, message, timer }.
      this.inFlight = [];
      this.stopped = false;
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
      if (!response.ok) throw new TokenRefused(response.status);
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
        if (error instanceof TokenRefused && LOGGED_OUT_STATUSES.includes(error.status)) {
          this.stopped = true;
          this.dispatchEvent(new CustomEvent("unauthorized", { detail: { status: error.status } }));
          // They will never be sent: say so rather than keep them silently.
          const queued = this.queue;
          this.queue = [];
          for (const item of queued) if (item.entry) this.undelivered(item.entry, "logged out", null);
          this.scheduleReconnect(0, String(error));
          return;
        }
        this.dispatchEvent(new CustomEvent("error", { detail: error }));
        this.scheduleReconnect(0, String(error));
        return;
      }
      if (this.closedByUser || this.stopped) return;
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
        this.receive(detail);
      });
      socket.addEventListener("error", () => {
        this.dispatchEvent(new CustomEvent("error", { detail: null }));
      });
      socket.addEventListener("close", (event) => {
        this.stopKeepAlive();
        if (this.socket === socket) this.socket = null;
        // Whether Django handled them is unknown: the page may retry (same ids).
        this.failInFlight("connection closed before an acknowledgement");
        this.scheduleReconnect(event.code, event.reason);
      });
    }

    scheduleReconnect(code, reason) {
      const willReconnect =
        !this.closedByUser && !this.stopped && this.attempt < this.options.maxReconnectAttempts;
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
        if (!this.isOpen) return;
        // With an id like any message, so that its error frame is not taken for
        // another message's; its own outcome is nobody's business.
        const key = this.options.messageIdKey;
        const ping = Object.assign({ [key]: newMessageId() }, this.options.keepAliveMessage);
        this.transmit(JSON.stringify(ping), { id: ping[key], message: ping, timer: null, internal: true });
      }, this.options.keepAliveSeconds * 1000);
    }

    stopKeepAlive() {
      if (this.keepAliveTimer !== null) clearInterval(this.keepAliveTimer);
      this.keepAliveTimer = null;
    }

    receive(detail) {
      if (isGatewayError(detail)) {
        this.undelivered(this.inFlight.shift(), detail.message, detail.requestId);
        return;
      }
      const ackedId = detail !== null && typeof detail === "object" ? detail.ack : undefined;
      if (typeof ackedId === "string") {
        const index = this.inFlight.findIndex((entry) => entry.id === ackedId);
        if (index >= 0) {
          const [entry] = this.inFlight.splice(index, 1);
          clearTimeout(entry.timer);
          if (!entry.internal)
            this.dispatchEvent(
              new CustomEvent("delivered", { detail: { messageId: entry.id, message: entry.message } })
          );
        }
        // A bare acknowledgement is not an application message.
        if (Object.keys(detail).length === 1) return;
      }
      this.dispatchEvent(new CustomEvent("message", { detail: detail }));
    }

    undelivered(entry, reason, requestId) {
      if (entry) clearTimeout(entry.timer);
      if (entry && entry.internal) return;
      this.dispatchEvent(
        new CustomEvent("error", {
          detail: {
            kind: "undelivered",
            messageId: entry ? entry.id : null,
            message: entry ? entry.message : null,
            reason: reason,
            requestId: requestId || null,
          },
        })
      );
    }

    failInFlight(reason) {
      const entries = this.inFlight;
      this.inFlight = [];
      for (const entry of entries) this.undelivered(entry, reason, null);
    }

    // Returns the message's id (objects), true (strings, which carry no id), or
    // false when the queue is full.
    send(message) {
      let entry = null;
      if (typeof message === "object" && message !== null && !Array.isArray(message)) {
        const key = this.options.messageIdKey;
        // A retry passes the same object back: it keeps its id.
        if (typeof message[key] !== "string") message = Object.assign({ [key]: newMessageId() }, message);
        entry = { id: message[key], message: message, timer: null };
      }
      const data = typeof message === "string" ? message : JSON.stringify(message);
      if (!this.isOpen && this.queue.length >= this.options.maxQueuedMessages) return false;
      if (this.isOpen) this.transmit(data, entry);
      else this.queue.push({ data: data, entry: entry });
      return entry ? entry.id : true;
    }

    transmit(data, entry) {
      // Without acknowledgements nothing settles an entry, so none is kept and
      // an error frame cannot name its message.
      if (entry !== null && this.options.ackTimeoutSeconds) {
        // A retry of a message still in flight replaces its entry.
        this.inFlight = this.inFlight.filter((other) => other.id !== entry.id);
        entry.timer = setTimeout(() => {
          const index = this.inFlight.indexOf(entry);
          if (index < 0) return;
          this.inFlight.splice(index, 1);
          this.undelivered(entry, "no acknowledgement within " + this.options.ackTimeoutSeconds + " s", null);
        }, this.options.ackTimeoutSeconds * 1000);
        this.inFlight.push(entry);
      }
      this.socket.send(data);
    }

    flushQueue() {
      while (this.queue.length && this.isOpen) {
        const item = this.queue.shift();
        this.transmit(item.data, item.entry);
      }
    }

    close() {
      this.closedByUser = true;
      this.stopKeepAlive();
      for (const entry of this.inFlight) clearTimeout(entry.timer);
      this.inFlight = [];
      if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
      if (this.socket !== null) this.socket.close(1000, "closed by client");
    }
  }

  global.GatewaySocket = GatewaySocket;
})(window);
