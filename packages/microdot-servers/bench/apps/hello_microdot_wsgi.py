from microdot.wsgi import Microdot

app = Microdot()


@app.route('/')
async def index(request):
    return 'Hello, World!'
