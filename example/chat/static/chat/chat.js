(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("websocket-config").textContent);
  const log = document.getElementById("log");
  const members = document.getElementById("members");
  const status = document.getElementById("status");
  const following = document.getElementById("following");
  const sendRoom = document.getElementById("send-room");
  const loginUrl = document.getElementById("chat-form").dataset.loginUrl;
  // The page's room is the channel it connects to (config.channel); who is in
  // it comes from its presence channel.
  const room = config.channel;
  const presence = "presence-" + room;
  const socket = new GatewaySocket(config);
  // Lines of messages reported undelivered, by message id, until retried.
  const undeliveredLines = new Map();
  // Lines of messages sent while not connected, by message id: GatewaySocket
  // queues them, and the line says so until they are delivered (or not).
  const pendingLines = new Map();
  // Rooms followed besides the page's own (channels subscribed to), and those
  // whose subscription the server confirmed: only these can be posted to.
  const otherRooms = new Set();
  const readyRooms = new Set();

  function addLine(text, className) {
    const item = document.createElement("li");
    item.textContent = text;
    if (className) item.className = className;
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function setStatus(text, className) {
    status.textContent = text;
    status.className = className;
  }

  function showMembers() {
    const names = socket.members(presence).map((member) => member.info.username);
    members.replaceChildren(
      ...names.sort().map((name) => {
        const item = document.createElement("li");
        item.textContent = name;
        return item;
      })
    );
  }

  function showFollowing() {
    following.replaceChildren(
      ...Array.from(otherRooms, (name) => {
        const item = document.createElement("li");
        item.textContent = "#" + name + " ";
        const leave = document.createElement("button");
        leave.type = "button";
        leave.className = "unfollow";
        leave.textContent = "Unfollow";
        leave.addEventListener("click", () => unfollow(name));
        item.appendChild(leave);
        return item;
      })
    );
    const chosen = sendRoom.value;
    sendRoom.replaceChildren(
      ...[room, ...readyRooms].map((name) => {
        const option = document.createElement("option");
        option.value = name;
        option.textContent = "#" + name;
        option.selected = name === chosen;
        return option;
      })
    );
  }

  function follow(name) {
    if (!name || name === room || otherRooms.has(name)) return;
    otherRooms.add(name);
    socket.subscribe(name);
    showFollowing();
  }

  function unfollow(name) {
    otherRooms.delete(name);
    readyRooms.delete(name);
    socket.unsubscribe(name);
    showFollowing();
  }

  // Sends a message; one sent while the socket is not open shows as pending.
  function sendShowingPending(message) {
    const wasOpen = socket.isOpen;
    const id = socket.send(message);
    if (id === false) {
      addLine("not sent (too many messages waiting for the connection): " + message.text, "undelivered");
    } else if (!wasOpen && !pendingLines.has(id)) {
      const item = addLine("pending: " + message.text + " (sent once reconnected)", "pending");
      pendingLines.set(id, item);
    }
  }

  function settlePending(messageId) {
    const item = pendingLines.get(messageId);
    if (item === undefined) return;
    item.remove();
    pendingLines.delete(messageId);
  }

  function showUndelivered(detail) {
    if (undeliveredLines.has(detail.messageId)) return;
    const item = addLine("not delivered: " + detail.message.text + " ", "undelivered");
    item.title = detail.reason;
    const retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => {
      item.remove();
      undeliveredLines.delete(detail.messageId);
      // The same object, so the same client_message_id: if the first attempt
      // did reach Django after all, the server publishes nothing twice.
      sendShowingPending(detail.message);
    });
    item.appendChild(retry);
    undeliveredLines.set(detail.messageId, item);
  }

  // The room's recent messages: the server rendered the seq they follow, and
  // the client resumes from it once the room's subscription stands (channels.md,
  // "In the browser"). The same seq is where a reconnect resumes from.
  const historyAfter = JSON.parse(document.getElementById("history-after").textContent);
  socket.subscribe(room, { after: historyAfter });
  socket.subscribe(presence);

  socket.addEventListener("open", () => setStatus("connected", "open"));

  socket.addEventListener("close", (event) => {
    setStatus(event.detail.willReconnect ? "reconnecting…" : "disconnected", "closed");
  });

  socket.addEventListener("unauthorized", () => {
    // Logged out (elsewhere, or the server's sessions were reset): reconnecting
    // cannot help, logging in again can.
    setStatus("logged out", "closed");
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
  });

  // Delivered: its published line (or the announcement) shows it now.
  socket.addEventListener("delivered", (event) => settlePending(event.detail.messageId));

  socket.addEventListener("error", (event) => {
    const detail = event.detail;
    if (!detail || detail.kind !== "undelivered" || !detail.message) return;
    settlePending(detail.messageId);
    if (detail.message.action === "chat") showUndelivered(detail);
    else if (detail.message.handler === "subscribe") {
      addLine("could not follow #" + detail.message.channel + ": " + detail.reason, "system");
    }
  });

  // Chat: published to a room, so every message has its seq, and GatewaySocket
  // shows it once and in order, also the ones sent while this page was offline.
  socket.addEventListener("publish", (event) => {
    const { channel, seq, data } = event.detail;
    if (data.type !== "chat") return;
    const prefix = channel === room ? "" : "#" + channel + " ";
    const item = addLine(prefix + data.user + ": " + data.text, "chat");
    item.dataset.room = channel;
    item.dataset.seq = String(seq);
  });

  socket.addEventListener("resume_failed", (event) => {
    // This demo keeps no other copy of a room's past to reload: say so.
    addLine("some earlier messages of #" + event.detail.channel + " are no longer available", "system");
  });

  socket.addEventListener("subscribed", (event) => {
    const name = event.detail.channel;
    if (otherRooms.has(name) && !readyRooms.has(name)) {
      readyRooms.add(name);
      showFollowing();
    }
  });

  for (const type of ["subscribed", "member_added", "member_removed"]) {
    socket.addEventListener(type, (event) => {
      if (event.detail.channel === presence) showMembers();
    });
  }

  // What is not published: the announcement (sent to every connection in the
  // background, unrecorded) and the answers to this page's own messages.
  socket.addEventListener("message", (event) => {
    const message = event.detail;
    if (message.type === "announcement") {
      addLine("📣 " + message.user + " to every room: " + message.text, "announcement");
    } else if (message.type === "error") {
      addLine("error: " + message.error, "system");
    }
  });

  document.getElementById("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("message");
    sendShowingPending({ action: "chat", room: sendRoom.value || room, text: input.value });
    input.value = "";
  });

  document.getElementById("follow-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("follow-room");
    follow(input.value.trim().toLowerCase());
    input.value = "";
  });

  document.getElementById("announce-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("announcement");
    sendShowingPending({ action: "announce", text: input.value });
    input.value = "";
  });

  showFollowing();
  window.addEventListener("beforeunload", () => socket.close());
})();
