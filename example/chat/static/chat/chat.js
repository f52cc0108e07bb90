(function () {
  "use strict";
  const config = JSON.parse(document.getElementById("websocket-config").textContent);
  const log = document.getElementById("log");
  const members = document.getElementById("members");
  const status = document.getElementById("status");
  const socket = new GatewaySocket(config);

  function addLine(text, className) {
    const item = document.createElement("li");
    item.textContent = text;
    if (className) item.className = className;
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function setStatus(text, className) {
    status.textContent = text;
    status.className = className;
  }

  socket.addEventListener("open", () => {
    setStatus("connected", "open");
    socket.send({ action: "join" });
  });

  socket.addEventListener("close", (event) => {
    setStatus(event.detail.willReconnect ? "reconnecting…" : "disconnected", "closed");
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
