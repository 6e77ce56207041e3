"""A folder served with the core's send_from_directory, for the static-file attacks.

    python static_app.py --port N --root DIR
    micropython static_app.py --port N --root DIR     (MICROPYPATH holding the flat build)

MicroPython-safe: argv parsed by hand.
"""
import sys

from microdot import Microdot, send_from_directory


def main(argv):
    options = dict(zip(argv[0::2], argv[1::2]))
    root = options['--root']
    app = Microdot()

    @app.route('/static/<path:path>')
    def static(request, path):
        return send_from_directory(root, path)

    @app.route('/alive')
    def alive(request):
        return 'yes'

    app.run(host='127.0.0.1', port=int(options['--port']))


if __name__ == '__main__':
    main(sys.argv[1:])
