"""The same routes on Flask: gunicorn flask_app:app"""
import os

from flask import Flask, Response, request, send_file

FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '1mb.bin')
app = Flask(__name__)


@app.route('/')
def index():
    return Response('Hello, World!', mimetype='text/plain')


@app.route('/json')
def json_():
    return {'message': 'Hello, World!'}


def page_route(i):
    def page(id):
        return 'page {} item {}'.format(i, id)
    app.add_url_rule('/page{}/<int:id>'.format(i), 'page{}'.format(i), page)


for _i in range(50):
    page_route(_i)


@app.route('/echo', methods=['POST'])
def echo():
    return Response(request.get_data(), mimetype='application/octet-stream')


@app.route('/file')
def file():
    return send_file(FILE)


@app.route('/sse')
def sse():
    n = int(request.args.get('n', '1000'))
    return Response(('data: x\n\n' for _ in range(n)), mimetype='text/event-stream')
