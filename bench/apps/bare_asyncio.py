"""The ceiling: a bare asyncio protocol that answers every request with a fixed hello response
(keep-alive, or close when asked). bare_asyncio.py PORT"""
import asyncio
import sys

HELLO = (b'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n'
         b'Hello, World!')


class Hello(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b''

    def data_received(self, data):
        self.buffer += data
        while True:
            end = self.buffer.find(b'\r\n\r\n')
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            self.transport.write(HELLO)
            if b'onnection: close' in head or b'onnection: Close' in head:
                self.transport.close()
                return


async def main(port):
    server = await asyncio.get_running_loop().create_server(Hello, '127.0.0.1', port, backlog=1024)
    await server.serve_forever()


asyncio.run(main(int(sys.argv[1])))
