import sys

from microdot import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return 'Hello, World!'


if __name__ == '__main__':
    app.run(host='127.0.0.1', port=int(sys.argv[1]))
