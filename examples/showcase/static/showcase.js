// The showcase page: a chat over a WebSocket and a live feed over Server-Sent Events.
(function () {
  'use strict';

  // -- chat ---------------------------------------------------------------------------------
  const messages = document.getElementById('messages');
  const status = document.getElementById('chat-status');
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const socket = new WebSocket(scheme + location.host + '/chat');

  function show(message) {
    const item = document.createElement('li');
    if (message.user === '*') {
      item.className = 'notice';
      item.textContent = message.text;
    } else {
      const who = document.createElement('strong');
      who.textContent = message.user + ': ';
      item.appendChild(who);
      item.appendChild(document.createTextNode(message.text));
    }
    messages.appendChild(item);
    messages.scrollTop = messages.scrollHeight;
  }

  socket.addEventListener('open', () => { status.textContent = 'connected'; });
  socket.addEventListener('message', (event) => show(JSON.parse(event.data)));
  socket.addEventListener('close', (event) => {
    status.textContent = 'closed' + (event.reason ? ': ' + event.reason : '');
  });
  document.getElementById('chat-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = document.getElementById('chat-text');
    if (input.value.trim() && socket.readyState === WebSocket.OPEN) {
      socket.send(input.value);
      input.value = '';
    }
  });

  // -- live feed ------------------------------------------------------------------------------
  let received = 0;
  const feed = new EventSource('/feed');
  feed.addEventListener('stats', (event) => {
    const data = JSON.parse(event.data);
    received += 1;
    document.getElementById('feed-count').textContent = received;
    document.getElementById('feed-online').textContent = data.online;
    document.getElementById('feed-messages').textContent = data.messages;
    document.getElementById('feed-uptime').textContent = data.uptime;
  });
})();
