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
 *
 * Channels (docs/channels.md):
 *
 *   socket.subscribe("room-2");             // and again after every reconnect, by itself
 *   socket.subscribe("presence-room-2");    // presence: socket.members("presence-room-2")
 *   socket.addEventListener("publish", (event) => show(event.detail.data));
 *   socket.unsubscribe("room-2");
 *
 * "publish" (detail: { channel, seq, data }) delivers what the server published
 * to a channel, exactly once and in seq order per channel: duplicates are
 * dropped, and a gap (a lost or late send) holds the later messages and asks
 * the server to "resume" after the last seq delivered, as every reconnect does.
 * "subscribed" (detail: { channel, members? }: members on a presence channel),
 * "unsubscribed" (detail: { channel }), "member_added" and "member_removed"
 * (detail: { channel, member }: member is { user_id, info }), "resume_failed"
 * (detail: { channel, after, lastSeq }: the server no longer has every message
 * after `after`, so reload the page's state for that channel; delivery goes on
 * after `lastSeq`), "revoked" (detail: { channel }: the server took this
 * connection out of the channel; it is not asked for again), "channel_changed"
 * (detail: { channel, previousChannel }: the answer to a change_channel
 * message). A refused subscribe is an "error" event of kind "undelivered"
 * whose message is { handler: "subscribe", channel, ... }. Any message the
 * view refuses (an error frame naming it) is reported so at once, with the
 * error as the reason, not after ackTimeoutSeconds; an error frame that names
 * no message (the body could not be read) is an "error" event of kind
 * "refused" (detail: { kind, reason }).
 *
 * The package's frames are named by the reserved key "$ws"
 * (GatewaySocket.PROTOCOL.frame_key; docs/protocol.md) and are never
 * "message" events. Every other frame is the application's own and reaches
 * "message" exactly as it was sent, whatever its keys; so does a handler's
 * reply to a message (the server carries it in that message's "ack" frame).
 */
(function (global) {
  "use strict";

  // The frames and limits the server's protocol.py declares: this block is
  // protocol.client_constants(), and tests/core/test_protocol.py fails when
  // the two differ. Edit protocol.py, then paste the block the test prints.
  // protocol.py:begin
  const PROTOCOL = {
    "frame_key": "$ws",
    "frames": [
      "ack",
      "channel_changed",
      "error",
      "member_added",
      "member_removed",
      "publish",
      "resume_failed",
      "resumed",
      "revoked",
      "subscribed",
      "unsubscribed"
    ],
    "handler_key": "handler",
    "message_id_key": "client_message_id",
    "message_id_max_length": 64,
    "message_id_pattern": "^[A-Za-z0-9_-]{1,64}$"
  };
  // protocol.py:end
  const FRAME_KEY = PROTOCOL.frame_key;
  const HANDLER_KEY = PROTOCOL.handler_key;
  const MESSAGE_ID = new RegExp(PROTOCOL.message_id_pattern);

  const DEFAULTS = {
    channel: null,
    tokenUrl: null,
    // From {% websocket_config %}; else read from the CSRF cookie.
    csrfToken: null,
    csrfCookieName: "csrftoken",
    csrfHeaderName: "X-CSRFToken",
    // API Gateway closes a connection idle for 10 minutes; ping well before.
    keepAliveSeconds: 240,
    keepAliveMessage: { [HANDLER_KEY]: "ping" },
    initialBackoffSeconds: 0.5,
    maxBackoffSeconds: 30,
    maxReconnectAttempts: Infinity,
    maxQueuedMessages: 100,
    // The body key that carries each message's id (WebSocketView.message_id_key).
    messageIdKey: PROTOCOL.message_id_key,
    // A message with no acknowledgement after this long is reported undelivered.
    // Above API Gateway's 29 s integration timeout, whose error frame settles it
    // sooner. 0: never (for routes whose answers do not reach the client).
    ackTimeoutSeconds: 35,
    // A later seq than expected waits this long for the missing ones before the
    // client asks for them: separate sends may overtake each other.
    gapGraceSeconds: 0.5,
  };

  // Resumes in a row that fill no gap before the gap is taken as lost for good.
  const MAX_FRUITLESS_RESUMES = 3;

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  // What each frame of PROTOCOL.frames does, by name (tests/e2e/
  // test_client_channels.py pushes one of each). A frame's "ack" has already
  // settled its message when these run.
  const RECEIVERS = {
    ack: (socket, frame) => {
      // A handler's reply, exactly as it returned it.
      if ("reply" in frame) socket.emit("message", frame.reply);
    },
    error: (socket, frame) => socket.onError(frame),
    publish: (socket, frame) => socket.onPublish(frame),
    subscribed: (socket, frame) => socket.onSubscribed(frame.channel, frame),
    unsubscribed: (socket, frame) => socket.emit("unsubscribed", { channel: frame.channel }),
    channel_changed: (socket, frame) =>
      socket.emit("channel_changed", { channel: frame.channel, previousChannel: frame.previous_channel }),
    resumed: (socket, frame) => socket.onResumed(frame.channel, frame),
    resume_failed: (socket, frame) => socket.onResumeFailed(frame.channel, frame),
    member_added: (socket, frame) => socket.onMemberEvent(frame.channel, "member_added", frame.member),
    member_removed: (socket, frame) => socket.onMemberEvent(frame.channel, "member_removed", frame.member),
    revoked: (socket, frame) => socket.onRevoked(frame.channel),
  };

  // Members are one per user: keyed by their id, whatever JSON type it has.
  function memberKey(member) {
    return JSON.stringify(member.user_id);
  }

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
      // By channel name: see channelState().
      this.channelStates = new Map();
      // Left with unsubscribe(): late pushes for them are dropped.
      this.leftChannels = new Set();
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
      const channel = this.options.channel;
      if (channel && !this.leftChannels.has(channel)) url.searchParams.set("channel", channel);
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
        // Before "open", so that a subscribe() in an "open" listener is not sent twice.
        this.restoreChannels();
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
      // Only the package's frames carry FRAME_KEY: anything else is the
      // application's, whatever keys it has.
      if (!isObject(detail) || !(FRAME_KEY in detail)) {
        this.emit("message", detail);
        return;
      }
      const kind = detail[FRAME_KEY];
      // A frame this client does not know (a newer server's) is still not the application's.
      if (!Object.prototype.hasOwnProperty.call(RECEIVERS, kind)) return;
      const receiver = RECEIVERS[kind];
      if (typeof detail.ack === "string") this.settle(detail.ack);
      receiver(this, detail);
    }

    // The message with this id was handled.
    settle(id) {
      const index = this.inFlight.findIndex((entry) => entry.id === id);
      if (index < 0) return;
      const [entry] = this.inFlight.splice(index, 1);
      clearTimeout(entry.timer);
      if (!entry.internal) this.emit("delivered", { messageId: entry.id, message: entry.message });
    }

    // The view refused a message (4xx) or its handler failed (500).
    onError(frame) {
      const id = frame.refused;
      if (typeof id === "string") {
        const index = this.inFlight.findIndex((entry) => entry.id === id);
        // Not waited for any more: already reported when its wait ran out.
        if (index < 0) return;
        const [entry] = this.inFlight.splice(index, 1);
        this.undelivered(entry, frame.error, null, true);
        return;
      }
      // Refused before its id could be read: the message itself is reported
      // when its acknowledgement wait runs out.
      this.emit("error", { kind: "refused", reason: frame.error });
    }

    // refusedByServer: the view answered this very message with a refusal, so
    // asking again would get the same answer (a lost or unanswered one might not).
    undelivered(entry, reason, requestId, refusedByServer = false) {
      if (entry) clearTimeout(entry.timer);
      if (entry && entry.internal) {
        if (entry.onFailed) entry.onFailed(reason, requestId, refusedByServer);
        return;
      }
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
        else if (!MESSAGE_ID.test(message[key]))
          // The server would refuse it without being able to name it.
          throw new Error(key + " must be 1 to " + PROTOCOL.message_id_max_length + " letters, digits, '-' or '_'");
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

    // Channels

    subscribe(channel, options) {
      if (typeof channel !== "string" || !channel) throw new Error("subscribe needs a channel name");
      this.leftChannels.delete(channel);
      const state = this.channelState(channel);
      // Already asked for: every open asks again by itself.
      if (state.subscribed) return;
      state.subscribed = true;
      // A seq the page already has (rendered by the server, say): what follows
      // it is asked for as soon as the subscription stands.
      const after = options && options.after;
      if (Number.isInteger(after) && after >= 0 && state.lastSeq === null) {
        state.lastSeq = after;
        state.resumeNeeded = true;
      }
      // While closed, the next open subscribes every channel.
      if (this.isOpen) this.sendSubscribe(state);
    }

    unsubscribe(channel) {
      this.forgetChannel(channel);
      this.leftChannels.add(channel);
      if (this.isOpen) this.sendInternal({ [HANDLER_KEY]: "unsubscribe", channel: channel }, null);
    }

    forgetChannel(channel) {
      const state = this.channelStates.get(channel);
      if (state) this.stopGapTimer(state);
      this.channelStates.delete(channel);
    }

    // The channels this client is in: subscribed, or pushed to.
    get channels() {
      return Array.from(this.channelStates.keys());
    }

    // The last seq delivered on `channel`, or null before the first.
    lastSeq(channel) {
      const state = this.channelStates.get(channel);
      return state ? state.lastSeq : null;
    }

    // A presence channel's members (from "subscribed" and the member events).
    members(channel) {
      const state = this.channelStates.get(channel);
      return state && state.members ? Array.from(state.members.values()) : [];
    }

    channelState(channel) {
      let state = this.channelStates.get(channel);
      if (!state) {
        state = {
          channel: channel,
          // Asked for with subscribe(); else joined at $connect (?channel=).
          subscribed: false,
          lastSeq: null,
          // Envelopes past a gap, by seq, until the gap is filled.
          held: new Map(),
          // After a reconnect: resume once subscribed again.
          resumeNeeded: false,
          resuming: false,
          resumedFrom: null,
          fruitlessResumes: 0,
          gapTimer: null,
          members: null,
        };
        this.channelStates.set(channel, state);
      }
      return state;
    }

    // After every open: the new connection is in none of the subscribed channels.
    restoreChannels() {
      for (const state of this.channelStates.values()) {
        this.stopGapTimer(state);
        state.resuming = false;
        state.resumeNeeded = state.lastSeq !== null;
        if (state.subscribed) this.sendSubscribe(state);
        else if (state.resumeNeeded) this.sendResume(state);
      }
    }

    sendSubscribe(state) {
      const message = { [HANDLER_KEY]: "subscribe", channel: state.channel };
      this.sendInternal(message, (reason, requestId, refusedByServer) => {
        // A close is followed by a reconnect, which subscribes again.
        if (!this.isOpen) return;
        // Refused (a channel rule, a bad name...): forgotten, so that no
        // reconnect asks again; subscribe() again to retry.
        if (refusedByServer) this.forgetChannel(state.channel);
        this.undelivered({ id: message[this.options.messageIdKey], message: message }, reason, requestId);
      });
    }

    sendResume(state) {
      this.stopGapTimer(state);
      state.resumeNeeded = false;
      state.resuming = true;
      state.resumedFrom = state.lastSeq;
      const message = { [HANDLER_KEY]: "resume", channel: state.channel, after: state.lastSeq || 0 };
      this.sendInternal(message, () => {
        state.resuming = false;
        this.checkGap(state);
      });
    }

    // A message of the client's own: acknowledged or failed, never reported
    // to the page except through onFailed. Not queued: every open redoes them.
    sendInternal(message, onFailed) {
      if (!this.isOpen) return;
      const key = this.options.messageIdKey;
      message[key] = newMessageId();
      this.transmit(JSON.stringify(message), {
        id: message[key],
        message: message,
        timer: null,
        internal: true,
        onFailed: onFailed,
      });
    }

    onPublish(frame) {
      if (typeof frame.channel !== "string" || !Number.isInteger(frame.seq)) return;
      if (!this.leftChannels.has(frame.channel)) this.accept(this.channelState(frame.channel), frame);
    }

    // The server took this connection out of `channel`: as after unsubscribe(),
    // late pushes are dropped and no reconnect asks for it again.
    onRevoked(channel) {
      this.forgetChannel(channel);
      this.leftChannels.add(channel);
      this.emit("revoked", { channel: channel });
    }

    onSubscribed(channel, detail) {
      const state = this.channelStates.get(channel);
      const members = Array.isArray(detail.members) ? detail.members.filter(isObject) : undefined;
      if (state && members) state.members = new Map(members.map((member) => [memberKey(member), member]));
      this.emit("subscribed", members ? { channel: channel, members: members } : { channel: channel });
      if (state && state.resumeNeeded && !state.resuming) this.sendResume(state);
    }

    onMemberEvent(channel, event, member) {
      if (!isObject(member)) return;
      const state = this.channelStates.get(channel);
      if (state) {
        if (!state.members) state.members = new Map();
        if (event === "member_added") state.members.set(memberKey(member), member);
        else state.members.delete(memberKey(member));
      }
      this.emit(event, { channel: channel, member: member });
    }

    onResumed(channel, detail) {
      const state = this.channelStates.get(channel);
      if (!state) return;
      state.resuming = false;
      for (const envelope of Array.isArray(detail.messages) ? detail.messages : []) {
        if (isObject(envelope) && Number.isInteger(envelope.seq)) this.accept(state, envelope);
      }
      const progressed = state.lastSeq !== state.resumedFrom;
      if (detail.more === true && progressed) {
        this.sendResume(state);
        return;
      }
      state.fruitlessResumes = progressed || state.held.size === 0 ? 0 : state.fruitlessResumes + 1;
      if (state.fruitlessResumes >= MAX_FRUITLESS_RESUMES) {
        // The server has moved on without the missing seqs: say so, and go on.
        state.fruitlessResumes = 0;
        const next = Math.min(...state.held.keys());
        this.emit("resume_failed", { channel: channel, after: state.lastSeq, lastSeq: next - 1 });
        state.lastSeq = next - 1;
        this.release(state);
        return;
      }
      this.checkGap(state);
    }

    onResumeFailed(channel, detail) {
      const state = this.channelStates.get(channel);
      const lastSeq = Number.isInteger(detail.last_seq) ? detail.last_seq : null;
      this.emit("resume_failed", { channel: channel, after: detail.after, lastSeq: lastSeq });
      if (!state) return;
      state.resuming = false;
      state.fruitlessResumes = 0;
      // Even below lastSeq (the server's history was reset): its numbers rule.
      if (lastSeq !== null) state.lastSeq = lastSeq;
      this.release(state);
    }

    // One envelope, live or resumed: deliver it, drop it, or hold it.
    accept(state, envelope) {
      const seq = envelope.seq;
      if (state.lastSeq !== null && seq <= state.lastSeq) return;
      // The first seq a fresh subscription sees starts its count.
      if (state.lastSeq === null || seq === state.lastSeq + 1) {
        this.deliver(state, envelope);
        this.release(state);
        return;
      }
      state.held.set(seq, envelope);
      this.checkGap(state);
    }

    deliver(state, envelope) {
      state.lastSeq = envelope.seq;
      this.emit("publish", { channel: state.channel, seq: envelope.seq, data: envelope.data });
    }

    // Held envelopes that now follow on, in order; then, is a gap left?
    release(state) {
      for (const seq of Array.from(state.held.keys())) {
        if (seq <= state.lastSeq) state.held.delete(seq);
      }
      let next;
      while ((next = state.held.get(state.lastSeq + 1)) !== undefined) {
        state.held.delete(next.seq);
        this.deliver(state, next);
      }
      this.checkGap(state);
    }

    checkGap(state) {
      if (state.held.size === 0) {
        this.stopGapTimer(state);
        return;
      }
      // A resume on its way fills it; a reconnect resumes anyway.
      if (state.resumeNeeded || state.resuming || state.gapTimer !== null || !this.isOpen) return;
      state.gapTimer = setTimeout(() => {
        state.gapTimer = null;
        if (state.held.size && this.isOpen && !state.resuming && this.channelStates.get(state.channel) === state)
          this.sendResume(state);
      }, this.options.gapGraceSeconds * 1000);
    }

    stopGapTimer(state) {
      if (state.gapTimer !== null) clearTimeout(state.gapTimer);
      state.gapTimer = null;
    }

    emit(type, detail) {
      this.dispatchEvent(new CustomEvent(type, { detail: detail }));
    }

    close() {
      this.closedByUser = true;
      this.stopKeepAlive();
      for (const state of this.channelStates.values()) this.stopGapTimer(state);
      for (const entry of this.inFlight) clearTimeout(entry.timer);
      this.inFlight = [];
      if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
      if (this.socket !== null) this.socket.close(1000, "closed by client");
    }
  }

  GatewaySocket.PROTOCOL = PROTOCOL;
  global.GatewaySocket = GatewaySocket;
})(window);
