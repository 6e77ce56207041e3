"""Sessions: log in with a name, kept in a signed cookie, then log out.

    python3 examples/sessions/login.py [PORT]        then open http://127.0.0.1:5000/
    micropython examples/sessions/login.py [PORT]    with microdot/ on MICROPYPATH

Needs microdot-core and microdot-session. Set SECRET_KEY in the environment for anything but
a demonstration: whoever knows the key can forge sessions.
"""
import sys

from microdot import Microdot, redirect
from microdot.session import Session, with_session

try:
    import os
    secret_key = os.getenv('SECRET_KEY')
except (ImportError, AttributeError):  # MicroPython's os may have no getenv
    secret_key = None

app = Microdot()
Session(app, secret_key=secret_key or 'top-secret')

BASE_PAGE = '''<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <title>microdot login example</title>
  </head>
  <body>
    <h1>microdot login example</h1>
    {content}
  </body>
</html>'''

LOGGED_OUT = '''<p>You are not logged in.</p>
    <form method="POST">
      <label>Username: <input type="text" name="username" autofocus></label>
      <input type="submit" value="Log in">
    </form>'''

LOGGED_IN = '''<p>Hello <b>{username}</b>!</p>
    <form method="POST" action="/logout">
      <input type="submit" value="Log out">
    </form>'''


def escape(text):
    return text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


@app.route('/', methods=['GET', 'POST'])
@with_session
async def index(req, session):
    username = session.get('username')
    if req.method == 'POST':
        username = req.form.get('username')
        session['username'] = username
        session.save()
        return redirect('/')
    if username is None:
        content = LOGGED_OUT
    else:
        content = LOGGED_IN.format(username=escape(username))
    return BASE_PAGE.format(content=content), {'Content-Type': 'text/html; charset=UTF-8'}


@app.post('/logout')
@with_session
async def logout(req, session):
    session.delete()
    return redirect('/')


if __name__ == '__main__':
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    app.run(host='127.0.0.1', port=port, debug=True)
