(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("websocket-config").textContent);
  const log = document.getElementById("log");
  const members = document.getElementById("members");
  const status = document.getElementById("status");
  const loginUrl = document.getElementById("chat-form").dataset.loginUrl;
  const socket = new GatewaySocket(config);
  // Lines of messages reported undelivered, by message id, until retried.
  const undeliveredLines = new Map();

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
      // did reach Django after all, the server sends nothing twice.
      socket.send(detail.message);
    });
    item.appendChild(retry);
    undeliveredLines.set(detail.messageId, item);
  }

  socket.addEventListener("open", () => {
    setStatus("connected", "open");
    socket.send({ action: "join" });
  });

  socket.addEventListener("close", (event) => {
    setStatus(event.detail.willReconnect ? "reconnecting…" : "disconnected", "closed");
  });

  socket.addEventListener("unauthorized", () => {
    // Logged out (elsewhere, or the server's sessions were reset): reconnecting
    // cannot help, logging in again can.
    setStatus("logged out", "closed");
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
  });

  socket.addEventListener("error", (event) => {
    const detail = event.detail;
    if (detail && detail.kind === "undelivered" && detail.message && detail.message.action === "chat") {
      showUndelivered(detail);
    }
  });

  socket.addEventListener("message", (event) => {
    const message = event.detail;
    if (message.type === "chat") {
      addLine(message.user + ": " + message.text, "chat");
    } else if (message.type === "announcement") {
      addLine("📣 " + message.user + " to every room: " + message.text, "announcement");
    } else if (message.type === "presence") {
      members.replaceChildren(
        ...message.users.map((name) => {
          const item = document.createElement("li");
          item.textContent = name;
          return item;
        })
      );
    } else if (message.type === "error") {
      addLine("error: " + message.error, "system");
    }
  });

  document.getElementById("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("message");
    socket.send({ action: "chat", text: input.value });
    input.value = "";
  });

  document.getElementById("announce-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("announcement");
    socket.send({ action: "announce", text: input.value });
    input.value = "";
  });

  window.addEventListener("beforeunload", () => socket.close());
})();
