#!/usr/bin/env python3
"""Browser tests of the envelope viewer (issue 12/13) in real headless Chromium through
Selenium. Envelopes come from Tests/browser/make_envelope.py (an independent implementation
of docs/envelope-format.md) and, when given a sealctl with `envelope seal`, from the gateway.

    test_viewer.py [--sealctl PATH] [--delivered DIR] [--rights-delivered DIR] [--artifacts DIR] [--bench-mb N]
        --delivered DIR: also open the envelope that went through Postfix in Tests/e2e/envelope.sh
        (its OUTDIR: message.html, passcode.txt from the passcode message, orig.eml, orig.eml.att,
        envelope-recovery.pem, envelope-reply.secret)
        --rights-delivered DIR: also open the protected envelope that `protect` delivered through
        Postfix in Tests/e2e/rights.sh (its OUTDIR: message.html, passcode.txt, recipient.txt,
        template.txt, orig.eml, envelope-recovery.pem) and check watermark, print (PDF), copy and
        the reply UI against its rights, with the --delivered envelope (no rights) as the control
    test_viewer.py --make-reply PAGE --passcode P --text T [--attach FILE] --out FILE
        writes the secure reply block the viewer makes in Chromium (for sending it through Postfix)
    test_viewer.py --bench-only [--bench-mb 20]     only the viewer's decryption time (docs/benchmarks.md)

Prints one line per check; exit status 0 only if every check passed."""
import argparse
import base64
import hashlib
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_envelope as env  # noqa: E402

try:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select
except ImportError:
    sys.exit('FAIL: the Python package selenium is missing (pip install selenium; .ci/setup installs it)')

CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
CHROMEDRIVER = shutil.which('chromedriver') or '/usr/bin/chromedriver'
PASS_BOB = 'K7QM2-XW9HP-3RT8Z-AB4CD'
PASS_CAROL = 'N5VJ8-Q2WER-TY6UP-LK3MX'
SENTENCE = 'The unique sentence is Purple-Otter-42.'
HTML_SENTENCE = 'Formatted text: Green-Heron-77.'
T_EN = {'wrong': 'The passcode is not correct', 'expired': 'This message expired on', 'damaged': 'This file is damaged',
        'newer': 'made by a newer Sealmilter'}

results = []


def check(name, ok, detail=''):
    results.append((name, bool(ok)))
    detail = str(detail)
    if ok and ('\n' in detail or len(detail) > 70):
        detail = ''
    print('%s  %s%s' % ('ok  ' if ok else 'FAIL', name, ('  -- ' + detail) if detail and not ok else ('  (' + detail + ')' if detail else '')))
    sys.stdout.flush()
    return ok


def free_port(preferred):
    for p in [preferred] + list(range(preferred + 1, preferred + 50)):
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', p))
            s.close()
            return p
        except OSError:
            s.close()
    raise SystemExit('FAIL: no free loopback port near %d' % preferred)


# ------------------------------------------------------------ test messages

PNG_1x1 = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==')


def b64lines(b):
    s = base64.b64encode(b).decode()
    return '\r\n'.join(s[i:i + 76] for i in range(0, len(s), 76))


def main_message(pixel_url, attachment):
    html = ('<html><head><style>p{color:#036}</style></head><body><p style="font-size:18px">%s</p>'
            '<p>%s</p><img id="remote" src="%s" alt="remote"><img id="inline" src="cid:logo@example.org" alt="inline">'
            '<script>document.title="script ran"</script></body></html>') % (HTML_SENTENCE, SENTENCE, pixel_url)
    parts = [
        'From: Alice Sender <alice@example.org>',
        'To: bob@example.com, Carol <carol@example.net>',
        'Cc: dave@example.org',
        'Subject: =?UTF-8?B?UXVhcnRhbHNiZXJpY2h0IOKAkyB2ZXJ0cmF1bGljaA==?=',
        'Date: Mon, 30 Nov 2026 09:00:00 +0000',
        'Message-ID: <m1.test@example.org>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="outer"',
        '',
        'preamble',
        '--outer',
        'Content-Type: multipart/related; boundary="rel"',
        '',
        '--rel',
        'Content-Type: multipart/alternative; boundary="alt"',
        '',
        '--alt',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Hello Bob,',
        '',
        SENTENCE + ' Caf=C3=A9 =E2=82=AC 42, a soft=',
        ' break.',
        '--alt',
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        b64lines(html.encode()),
        '--alt--',
        '--rel',
        'Content-Type: image/png',
        'Content-Transfer-Encoding: base64',
        'Content-ID: <logo@example.org>',
        '',
        b64lines(PNG_1x1),
        '--rel--',
        '--outer',
        'Content-Type: application/octet-stream; name="report-2mb.bin"',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="report-2mb.bin"',
        '',
        b64lines(attachment),
        '--outer',
        'Content-Type: text/plain; charset=utf-8',
        "Content-Disposition: attachment; filename*=utf-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.txt",
        '',
        'japanese file',
        '--outer',
        'Content-Type: application/pdf; name="=?UTF-8?Q?Pr=C3=BCfung.pdf?="',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment;',
        ' filename*0*=utf-8\'\'Pr%C3%BC;',
        ' filename*1="fung.pdf"',
        '',
        b64lines(b'%PDF-1.4 not really'),
        '--outer--',
        '']
    return '\r\n'.join(parts).encode()


def plain_message(text, subject='Plain one'):
    return ('From: Alice Sender <alice@example.org>\r\nTo: bob@example.com, carol@example.net\r\nSubject: %s\r\n'
            'Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMessage-ID: <p.%s@example.org>\r\nMIME-Version: 1.0\r\n'
            'Content-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n' % (subject, abs(hash(subject)), text)).encode()


# ------------------------------------------------------------ browser

class Pixel(http.server.BaseHTTPRequestHandler):
    hits = []
    files = {}

    def do_GET(self):
        Pixel.hits.append(self.path)
        body = Pixel.files.get(self.path.split('?')[0], PNG_1x1)
        self.send_response(200)
        self.send_header('Content-Type', 'text/html' if self.path.endswith('.html') else 'image/png')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def browser(downloads, lang=None, extra=()):
    if not os.path.exists(CHROMIUM) or not os.path.exists(CHROMEDRIVER):
        sys.exit('FAIL: chromium or chromedriver missing (Debian packages chromium, chromium-driver)')
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ['--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1200,1000',
              '--disable-background-networking', '--no-first-run', '--disable-features=Translate,MediaRouter,IsolateSandboxedIframes'] + list(extra):
        o.add_argument(a)
    prefs = {'download.default_directory': downloads, 'download.prompt_for_download': False,
             'profile.default_content_setting_values.automatic_downloads': 1}
    if lang:
        o.add_argument('--lang=' + lang)
        prefs['intl.accept_languages'] = lang
    o.add_experimental_option('prefs', prefs)
    o.set_capability('goog:loggingPrefs', {'performance': 'ALL', 'browser': 'ALL'})
    d = webdriver.Chrome(options=o, service=webdriver.ChromeService(CHROMEDRIVER))
    d.execute_cdp_cmd('Browser.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': downloads})
    return d


def state(d):
    return d.find_element(By.TAG_NAME, 'body').get_attribute('data-state')


def wait_state(d, not_in=('locked',), timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        s = state(d)
        if s and s not in not_in:
            return s
        time.sleep(0.1)
    return state(d)


def load(d, path):
    d.get('file://' + path)
    return wait_state(d, not_in=(None, ''), timeout=60)


def unlock(d, passcode, who=None):
    if who is not None:
        Select(d.find_element(By.ID, 'who')).select_by_value(who)
    box = d.find_element(By.ID, 'passcode')
    box.clear()
    box.send_keys(passcode)
    d.execute_script("document.body.setAttribute('data-state', 'test-submitting')")
    d.find_element(By.ID, 'open').click()
    return wait_state(d, not_in=('locked', 'working', 'test-submitting'), timeout=120)


def visible_text(d):
    return d.execute_script('return document.body.innerText')


def wait_download(dirpath, name, timeout=60):
    p = os.path.join(dirpath, name)
    t0 = time.time()
    while time.time() - t0 < timeout:
        if os.path.exists(p) and not os.path.exists(p + '.crdownload'):
            time.sleep(0.2)
            return p
        time.sleep(0.1)
    return None


def requests_from_log(d):
    """Every request the DevTools protocol saw: [(url, blocked reason or None)]. Sandboxed frames are
    kept in the page's process (IsolateSandboxedIframes off, see browser()) so their requests are
    in the same log."""
    urls, blocked = {}, {}
    for entry in d.get_log('performance'):
        msg = json.loads(entry['message'])['message']
        if msg.get('method') == 'Network.requestWillBeSent':
            urls[msg['params']['requestId'] + '|' + msg['params']['request']['url']] = msg['params']['requestId']
        elif msg.get('method') == 'Network.loadingFailed':
            blocked[msg['params']['requestId']] = msg['params'].get('blockedReason')
    return [(k.split('|', 1)[1], blocked.get(rid)) for k, rid in urls.items()]


def pdf_text(d, tmp, name):
    pdf = d.execute_cdp_cmd('Page.printToPDF', {'printBackground': True})
    path = os.path.join(tmp, name + '.pdf')
    with open(path, 'wb') as f:
        f.write(base64.b64decode(pdf['data']))
    if not shutil.which('pdftotext'):
        sys.exit('FAIL: pdftotext missing (Debian package poppler-utils)')
    return subprocess.run(['pdftotext', path, '-'], capture_output=True, text=True, check=True).stdout


def copy_all_and_paste(d):
    """Selects everything in the page, copies, then pastes into the reply box; returns what arrived."""
    body = d.find_element(By.ID, 'msg-body')
    body.click()
    ActionChains = webdriver.ActionChains
    ActionChains(d).key_down(Keys.CONTROL).send_keys('a').key_up(Keys.CONTROL).perform()
    ActionChains(d).key_down(Keys.CONTROL).send_keys('c').key_up(Keys.CONTROL).perform()
    d.find_element(By.ID, 'reply-button').click()
    ta = d.find_element(By.ID, 'reply-text')
    ta.click()
    ActionChains(d).key_down(Keys.CONTROL).send_keys('v').key_up(Keys.CONTROL).perform()
    time.sleep(0.3)
    return ta.get_attribute('value')


# ------------------------------------------------------------ the tests

def run(args):
    tmp = tempfile.mkdtemp(prefix='sealmilter-browser-')
    art = args.artifacts or os.path.join(tempfile.gettempdir(), 'sealmilter-browser-artifacts')
    os.makedirs(art, exist_ok=True)
    downloads = os.path.join(tmp, 'downloads')
    os.makedirs(downloads)
    keys = os.path.join(tmp, 'keys')
    env.make_keys(keys)
    org, secret = env.load_keys(keys)
    pub = org.public_key()

    port = free_port(int(os.environ.get('BROWSER_HTTP_PORT', '11728')))
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', port), Pixel)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    pixel_url = 'http://127.0.0.1:%d/pixel.png' % port

    attachment = os.urandom(2 * 1024 * 1024)
    msg = main_message(pixel_url, attachment)
    now = datetime.now(timezone.utc)
    rcpts = [('bob@example.com', PASS_BOB, 'the passcode came in a separate message'),
             ('carol@example.net', PASS_CAROL, None)]
    config = {'organisation': 'Example Corp', 'colors': {'accent': '#2d6a4f'},
              'texts': {'en': {'unlockText': 'Example Corp: enter the passcode from our separate message.'}},
              'notice': 'Questions? Call the Example Corp help desk.'}

    def write(name, page):
        p = os.path.join(tmp, name)
        with open(p, 'w', encoding='ascii', newline='\n') as f:
            f.write(page)
        return p

    t0 = time.time()
    page_a, hdr_a, meta_a = env.seal(msg, rcpts, pub, secret, expires=env.rfc3339(now + timedelta(days=30)), config=config)
    A = write('message.html', page_a)
    check('python reader opens the python envelope (sanity of the reference)', env.open_envelope(page_a, PASS_BOB)[2] == msg)
    check('page is pure ASCII, no line over 998 octets', all(ord(c) < 128 for c in page_a)
          and max(len(l) for l in page_a.split('\n')) <= 998)
    with open(os.path.join(tmp, 'crlf.html'), 'w', encoding='ascii', newline='\r\n') as f:
        f.write(page_a)
    CRLF = os.path.join(tmp, 'crlf.html')
    page_x, _, _ = env.seal(plain_message('expired body Grey-Wolf-9'), rcpts, pub, secret,
                            expires=env.rfc3339(now - timedelta(minutes=5)), header_expires=None)
    X = write('expired.html', page_x)
    page_xh, _, _ = env.seal(plain_message('expired body Grey-Wolf-9'), rcpts, pub, secret,
                             expires=env.rfc3339(now - timedelta(minutes=5)))
    XH = write('expired-header.html', page_xh)
    # damaged: one base64 character of the ciphertext changed (a valid character, so only the tag can tell)
    data = env.element(page_a, 'sealmilter-data')
    mid = len(data) // 2
    while data[mid] in '\n=':
        mid += 1
    flipped = data[:mid] + ('A' if data[mid] != 'A' else 'B') + data[mid + 1:]
    D = write('damaged.html', page_a.replace(data, flipped))
    lines = data.strip('\n').split('\n')
    T = write('truncated.html', page_a.replace(data, '\n' + '\n'.join(lines[:-30]) + '\n'))
    hdr = env.element(page_a, 'sealmilter-header')
    H = write('bad-header.html', page_a.replace(hdr, hdr[:-20]))
    NV = write('newer.html', page_a.replace(hdr, env.json_for_page(dict(json.loads(hdr), version=2))))
    rights = {'template': 'do-not-forward', 'no_forward': True, 'no_reply_all': True, 'no_print': True,
              'no_copy': True, 'watermark': True, 'reply': True}
    page_r, _, _ = env.seal(plain_message('Restricted text Blue-Falcon-5 for Bob only.', 'Restricted'), rcpts, pub, secret, rights=rights)
    R = write('rights.html', page_r)
    page_n, _, _ = env.seal(plain_message('No reply here Red-Fox-3.', 'No reply'), rcpts, pub, secret, rights={'reply': False})
    N = write('noreply.html', page_n)
    print('# envelopes built in %.1f s (%s, %d bytes page for a %d bytes message)' % (time.time() - t0, tmp, len(page_a), len(msg)))

    d = browser(downloads, extra=['--host-resolver-rules=MAP nocrypto.test 127.0.0.1'])
    try:
        # ---- locked page, branding, hint, no network
        d.get_log('performance')
        s = load(d, A)
        check('page loads locked and asks for the passcode', s == 'locked' and d.find_element(By.ID, 'passcode').is_displayed(), s)
        check('hint of the chosen recipient shown', 'separate message' in d.find_element(By.ID, 'hint').text)
        check('two recipients: address choice with "try all"',
              [o.get_attribute('value') for o in Select(d.find_element(By.ID, 'who')).options] == ['0', '1', 'all'])
        check('branding: organisation name, accent colour, text override, notice',
              d.find_element(By.ID, 'brand-name').text == 'Example Corp'
              and d.execute_script("return getComputedStyle(document.getElementById('brand')).backgroundColor") == 'rgb(45, 106, 79)'
              and 'from our separate message' in visible_text(d) and 'help desk' in visible_text(d))

        # ---- wrong passcode
        s = unlock(d, 'AAAAA-BBBBB-CCCCC-DDDDD')
        txt = visible_text(d)
        check('wrong passcode: error shown', s == 'error-wrong' and T_EN['wrong'] in txt, s)
        check('wrong passcode: nothing else (no message, no attachment, no subject)',
              not d.find_element(By.ID, 'message').is_displayed() and 'Purple-Otter' not in txt
              and 'report-2mb' not in txt and 'Quartalsbericht' not in txt
              and d.execute_script("return document.getElementById('message').childElementCount") == 0)

        # ---- right passcode, typed in lower case with spaces (normalisation)
        s = unlock(d, PASS_BOB.lower().replace('-', ' '))
        check('right passcode (lower case, spaces) opens the message', s == 'open', s)
        body = d.find_element(By.TAG_NAME, 'body')
        print('# PBKDF2 600000 in Chromium: %s ms; decrypt %s ms; render %s ms' % (
            body.get_attribute('data-kdf-ms'), body.get_attribute('data-decrypt-ms'), body.get_attribute('data-render-ms')))
        check('subject decoded (RFC 2047)', d.find_element(By.ID, 'msg-subject').text == 'Quartalsbericht \u2013 vertraulich')
        check('From/To/Cc shown', 'alice@example.org' in d.find_element(By.ID, 'msg-from').text
              and 'carol@example.net' in d.find_element(By.ID, 'msg-to').text and d.find_element(By.ID, 'msg-cc').text == 'dave@example.org')
        d.save_screenshot(os.path.join(art, 'viewer-open.png'))
        check('screenshot kept', os.path.getsize(os.path.join(art, 'viewer-open.png')) > 5000, os.path.join(art, 'viewer-open.png'))
        check('HTML shown first, in a sandboxed frame without scripts',
              d.find_element(By.ID, 'msg-html').is_displayed() and d.find_element(By.ID, 'msg-html').get_attribute('sandbox') == '')
        d.switch_to.frame(d.find_element(By.ID, 'msg-html'))
        ftxt = d.find_element(By.TAG_NAME, 'body').text
        inline_w = d.find_element(By.ID, 'inline').get_property('naturalWidth')
        remote_w = d.find_element(By.ID, 'remote').get_property('naturalWidth')
        ftitle = d.execute_script('return document.title') if False else None
        d.switch_to.default_content()
        check('HTML body text shown', HTML_SENTENCE in ftxt and SENTENCE in ftxt, ftxt[:80])
        check('cid: image from the message itself shown, remote image not', inline_w == 1 and remote_w == 0, '%s/%s' % (inline_w, remote_w))
        del ftitle
        d.find_element(By.ID, 'show-text').click()
        ptxt = d.find_element(By.ID, 'msg-text').text
        check('plain text shown (quoted-printable, UTF-8, soft break)', SENTENCE in ptxt and 'Caf\u00e9 \u20ac 42, a soft break.' in ptxt, ptxt[:100])
        names = [e.text for e in d.find_elements(By.CSS_SELECTOR, '#attachments .name')]
        check('attachments listed with names (RFC 2231, RFC 2231 continuations)',
              names == ['report-2mb.bin', '\u65e5\u672c\u8a9e.txt', 'Pr\u00fcfung.pdf'], repr(names))
        d.find_element(By.CSS_SELECTOR, '#attachments a[data-name="report-2mb.bin"]').click()
        p = wait_download(downloads, 'report-2mb.bin')
        got = open(p, 'rb').read() if p else b''
        check('2 MB attachment saved, bytes equal the original', got == attachment,
              'sha256 %s vs %s' % (hashlib.sha256(got).hexdigest()[:16], hashlib.sha256(attachment).hexdigest()[:16]))
        d.find_element(By.CSS_SELECTOR, '#attachments a[data-name="Pr\u00fcfung.pdf"]').click()
        p = wait_download(downloads, 'Pr\u00fcfung.pdf')
        check('non-ASCII attachment name kept on save', p is not None and open(p, 'rb').read() == b'%PDF-1.4 not really')

        reqs = requests_from_log(d)
        blocked = [l for l in d.get_log('browser') if 'Content Security Policy' in l.get('message', '') and pixel_url in l.get('message', '')]
        foreign = [u for u, why in reqs if why != 'csp' and not (u.startswith('file://') and u.endswith(A))
                   and not u.startswith(('data:', 'blob:', 'about:'))]
        check('no network request: only the file itself (DevTools log)', not foreign and any(u.endswith(A) for u, _ in reqs),
              'requests: %s' % (sorted(set((u[:70], why) for u, why in reqs))))
        check('remote <img> in the HTML: tried, blocked by the CSP, never fetched',
              blocked and (pixel_url, 'csp') in reqs and not [h for h in Pixel.hits if 'pixel' in h],
              'csp reports %d, server hits %r' % (len(blocked), Pixel.hits))

        # ---- print and copy allowed here (positive controls for the rights tests)
        check('print allowed without rights: PDF has the text', 'Purple-Otter-42' in pdf_text(d, tmp, 'plain'))
        pasted = copy_all_and_paste(d)
        check('copy allowed without rights: select all + copy + paste gives the text', 'Purple-Otter-42' in pasted, repr(pasted[:60]))

        # ---- secure reply, small: mailto link
        ta = d.find_element(By.ID, 'reply-text')
        ta.clear()
        ta.send_keys('Thanks Alice, received. Gr\u00fc\u00dfe, Bob')
        check('reply all offered when rights allow', len(d.find_elements(By.ID, 'reply-all')) == 1)
        d.find_element(By.ID, 'reply-encrypt').click()
        link = None
        for _ in range(100):
            links = d.find_elements(By.ID, 'reply-mailto')
            if links:
                link = links[0].get_attribute('href')
                break
            time.sleep(0.1)
        check('small reply offered as a mailto: link under 1800 characters', link and link.startswith('mailto:alice%40example.org?') and len(link) < 1800,
              str(len(link or '')))
        if link:
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
            try:
                envid, mime = env.open_reply(q['body'][0], org, secret)
                mtxt = mime.decode('utf-8', 'replace')
                check('mailto reply: MAC verifies and decrypts with the org key (python)',
                      envid == hdr_a['id'] and 'From: bob@example.com' in mtxt and 'To: alice@example.org' in mtxt
                      and 'In-Reply-To: <m1.test@example.org>' in mtxt and 'Thanks Alice, received.' in mtxt
                      and 'Gr=C3=BC=C3=9Fe' in mtxt and q['subject'][0] == meta_a['reply']['subject'], mtxt[:300])
                with open(os.path.join(art, 'secure-reply-mailto.txt'), 'w') as f:
                    f.write(q['body'][0])
            except Exception as e:
                check('mailto reply: MAC verifies and decrypts with the org key (python)', False, repr(e))
            try:
                env.open_reply(q['body'][0], org, os.urandom(32))
                check('reply with another reply secret is refused (python reference)', False)
            except env.Damaged:
                check('reply with another reply secret is refused (python reference)', True)

        # ---- secure reply, large: file
        d.find_element(By.ID, 'reply-text').send_keys(' See the attached file.')
        att2 = os.urandom(150 * 1024)
        att2_path = os.path.join(tmp, 'scan 2026.bin')
        with open(att2_path, 'wb') as f:
            f.write(att2)
        d.find_element(By.ID, 'reply-files').send_keys(att2_path)
        d.find_element(By.ID, 'reply-encrypt').click()
        for _ in range(200):
            if d.find_elements(By.ID, 'reply-file'):
                break
            time.sleep(0.1)
        d.find_element(By.ID, 'reply-file').click()
        p = wait_download(downloads, 'secure-reply.txt')
        try:
            envid, mime = env.open_reply(open(p).read(), org, secret)
            import email
            em = email.message_from_bytes(mime)
            files = [(x.get_filename(), x.get_payload(decode=True)) for x in em.walk() if x.get_filename()]
            check('large reply saved as secure-reply.txt; decrypts; attachment bytes equal', files == [('scan 2026.bin', att2)]
                  and 'See the attached file.' in em.get_payload()[0].get_payload(decode=True).decode(), repr([f[0] for f in files]))
            shutil.copy(p, os.path.join(art, 'secure-reply.txt'))
        except Exception as e:
            check('large reply saved as secure-reply.txt; decrypts; attachment bytes equal', False, repr(e))

        # ---- the page as saved from a mail (CRLF line ends): the CSP hashes still match, it opens
        load(d, CRLF)
        s = unlock(d, PASS_BOB)
        check('page saved with CRLF line ends (as on the wire) runs under its CSP and opens', s == 'open', s)

        # ---- try all wraps with the second recipient's passcode
        load(d, A)
        s = unlock(d, PASS_CAROL, who='all')
        check('"try all" opens with the second recipient\'s passcode', s == 'open', s)

        # ---- the base64 fallback of browsers without Uint8Array.fromBase64 (injected before the page's script)
        sid = d.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': 'delete Uint8Array.fromBase64;'})['identifier']
        load(d, A)
        s = unlock(d, PASS_BOB)
        if s == 'open':
            d.find_element(By.ID, 'show-text').click()
        check('without Uint8Array.fromBase64 (atob fallback) the envelope opens', s == 'open'
              and d.execute_script('return typeof Uint8Array.fromBase64') == 'undefined' and SENTENCE in visible_text(d)
              and d.find_element(By.ID, 'attachments').text.count('report-2mb.bin') == 1, s)
        d.execute_cdp_cmd('Page.removeScriptToEvaluateOnNewDocument', {'identifier': sid})

        # ---- expiry
        s = load(d, XH)
        check('expired (header copy): refused before asking for a passcode', s == 'error-expired' and T_EN['expired'] in visible_text(d)
              and not d.find_element(By.ID, 'passcode').is_displayed(), s)
        load(d, X)
        s = unlock(d, PASS_BOB)
        txt = visible_text(d)
        check('expired (binding meta.expires, header silent): refused after unlocking, nothing shown',
              s == 'error-expired' and T_EN['expired'] in txt and 'Grey-Wolf' not in txt, s)

        # ---- damaged files
        load(d, D)
        s = unlock(d, PASS_BOB)
        txt = visible_text(d)
        check('one changed ciphertext character: damaged file message, nothing shown',
              s == 'error-damaged' and T_EN['damaged'] in txt and 'Purple-Otter' not in txt and 'Quartalsbericht' not in txt, s)
        load(d, T)
        s = unlock(d, PASS_BOB)
        check('truncated data: damaged file message', s == 'error-damaged' and T_EN['damaged'] in visible_text(d), s)
        s = load(d, H)
        check('broken header: damaged file message at once', s == 'error-damaged' and T_EN['damaged'] in visible_text(d), s)
        s = load(d, NV)
        check('version 2 header: "newer Sealmilter" message', s == 'error-newer' and T_EN['newer'] in visible_text(d), s)

        # ---- rights
        load(d, R)
        s = unlock(d, PASS_BOB)
        check('rights envelope opens', s == 'open', s)
        wm = d.find_elements(By.ID, 'watermark')
        check('watermark: recipient address and date over the content',
              wm and wm[0].is_displayed() and 'bob@example.com' in wm[0].text and now.strftime('%Y-%m-%d') in wm[0].text
              and 0 < float(d.execute_script("return getComputedStyle(document.querySelector('#watermark span')).color.split(',')[3] || '1'").strip(' )')) < 0.5)
        check('no_print: print button hidden', not d.find_elements(By.ID, 'print'))
        pt = pdf_text(d, tmp, 'rights')
        check('no_print: printed PDF has no message text', 'Blue-Falcon' not in pt and 'not allowed' in pt, repr(pt[:80]))
        check('no_copy: selection disabled by style', d.execute_script(
            "return getComputedStyle(document.getElementById('msg-text')).userSelect") == 'none')
        pasted = copy_all_and_paste(d)
        check('no_copy: select all + copy + paste gives nothing', 'Blue-Falcon' not in pasted and pasted.strip() == '', repr(pasted[:60]))
        check('no_reply_all / no_forward: reply has no reply-all and no quoting of the original',
              not d.find_elements(By.ID, 'reply-all') and not d.find_elements(By.ID, 'reply-quote'))
        check('rights listed for the reader', 'no printing' in d.find_element(By.ID, 'rights-note').text)
        d.save_screenshot(os.path.join(art, 'viewer-rights.png'))
        load(d, N)
        s = unlock(d, PASS_BOB)
        check('rights reply:false: no reply button', s == 'open' and 'Red-Fox-3' in visible_text(d) and not d.find_elements(By.ID, 'reply-button'), s)

        # ---- a browser context without WebCrypto (plain http on a non-local name is not a secure context)
        Pixel.files['/nocrypto.html'] = page_a.encode()
        d.get('http://nocrypto.test:%d/nocrypto.html' % port)
        s = wait_state(d, not_in=(None, ''))
        check('no WebCrypto: says to save the file and open it in a browser', s == 'nocrypto'
              and 'Chrome, Firefox, Edge or Safari' in visible_text(d) and not d.find_element(By.ID, 'passcode').is_displayed(), s)

        # ---- the other languages, chosen from the browser's languages (Accept-Language override)
        ua = d.execute_script('return navigator.userAgent')
        for langs, tag, want in (('zh-TW,zh;q=0.9', 'zh-TW', '\u8f38\u5165\u60a8\u7684\u5bc6\u78bc'),
                                 ('zh-HK', 'zh-TW', '\u8f38\u5165\u60a8\u7684\u5bc6\u78bc'),
                                 ('zh-CN,en', 'zh-CN', '\u8f93\u5165\u60a8\u7684\u5bc6\u7801'),
                                 ('pt-BR', 'pt-BR', 'Digite seu c\u00f3digo de acesso'),
                                 ('pt-PT', 'pt-BR', 'Digite seu c\u00f3digo de acesso'),
                                 ('es-MX', 'es', 'Introduzca su c\u00f3digo de acceso'),
                                 ('de-DE,fr', 'en', 'Enter your passcode')):
            d.execute_cdp_cmd('Emulation.setUserAgentOverride', {'userAgent': ua, 'acceptLanguage': langs})
            load(d, A)
            title = d.find_element(By.CSS_SELECTOR, '#unlock h1').text
            check('browser languages %s: texts in %s' % (langs, tag), title == want
                  and d.execute_script('return document.documentElement.lang') == tag, title)
    finally:
        d.quit()

    # ---- Japanese
    dj = browser(downloads, lang='ja')
    try:
        s = load(dj, A)
        txt = visible_text(dj)
        check('Japanese browser: Japanese texts', s == 'locked' and '\u30d1\u30b9\u30b3\u30fc\u30c9\u3092\u5165\u529b\u3057\u3066\u304f\u3060\u3055\u3044' in txt
              and dj.execute_script('return document.documentElement.lang') == 'ja', txt[:120])
        s = unlock(dj, 'AAAAA-BBBBB-CCCCC-DDDDD')
        check('Japanese browser: wrong passcode message in Japanese', '\u30d1\u30b9\u30b3\u30fc\u30c9\u304c\u6b63\u3057\u304f\u3042\u308a\u307e\u305b\u3093' in visible_text(dj), s)
        s = unlock(dj, PASS_BOB)
        check('Japanese browser: opens, labels in Japanese', s == 'open' and '\u5dee\u51fa\u4eba' in visible_text(dj), s)
        dj.save_screenshot(os.path.join(art, 'viewer-ja.png'))
    finally:
        dj.quit()

    # ---- Firefox (Marionette: Debian has firefox-esr but no geckodriver)
    firefox_tests(tmp, {'A': A, 'X': X, 'D': D, 'R': R}, attachment, org, secret, hdr_a, port)

    # ---- envelopes made by the gateway (sealctl envelope seal), when it exists
    if args.sealctl:
        os.environ['BROWSER_ARTIFACTS_DIR'] = art
        gateway_tests(args.sealctl, tmp, downloads, keys, msg, attachment, page_a, hdr_a)

    if args.delivered:
        delivered_tests(args.delivered, args.sealctl, downloads, art)

    if args.rights_delivered:
        rights_delivered_tests(args.rights_delivered, args.delivered, downloads, tmp, art)

    if args.bench_mb:
        bench(args.bench_mb, tmp, downloads, pub, secret)
    print('# artifacts (screenshots, replies): %s' % art)
    shutil.rmtree(tmp, ignore_errors=True)


def firefox_tests(tmp, pages, attachment, org, secret, hdr_a, port):
    try:
        from marionette_driver.marionette import Marionette
        from marionette_driver import By as FBy
    except ImportError:
        check('Firefox: python marionette-driver present (pip install marionette-driver)', False)
        return
    ff = shutil.which('firefox-esr') or shutil.which('firefox')
    if not ff:
        check('Firefox: firefox-esr present (Debian package firefox-esr)', False)
        return
    prof = os.path.join(tmp, 'ff-profile')
    dl = os.path.join(tmp, 'ff-downloads')
    os.makedirs(prof)
    os.makedirs(dl)
    mport = free_port(11730)
    prefs = {'marionette.port': mport, 'browser.download.dir': dl, 'browser.download.folderList': 2,
             'browser.download.useDownloadDir': True, 'browser.download.always_ask_before_handling_new_types': False,
             'browser.download.start_downloads_in_tmp_dir': False, 'intl.accept_languages': 'en-US',
             'app.update.enabled': False, 'browser.shell.checkDefaultBrowser': False,
             'network.captive-portal-service.enabled': False, 'toolkit.telemetry.enabled': False,
             'datareporting.policy.dataSubmissionEnabled': False, 'browser.safebrowsing.malware.enabled': False}
    with open(os.path.join(prof, 'user.js'), 'w') as f:
        for k, v in prefs.items():
            f.write('user_pref(%s, %s);\n' % (json.dumps(k), json.dumps(v)))
    proc = subprocess.Popen([ff, '--headless', '--marionette', '-remote-allow-system-access', '--no-remote', '--profile', prof],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    m = None
    try:
        m = Marionette(host='127.0.0.1', port=mport, startup_timeout=60)
        m.start_session()
        ver = m.session_capabilities.get('browserVersion')

        def fstate():
            return m.execute_script("return document.body.getAttribute('data-state')")

        def fwait(not_in):
            t0 = time.time()
            while time.time() - t0 < 60:
                st = fstate()
                if st and st not in not_in:
                    return st
                time.sleep(0.1)
            return fstate()

        def fload(path):
            m.navigate('file://' + path)
            return fwait((None, ''))

        def funlock(code):
            box = m.find_element(FBy.ID, 'passcode')
            box.clear()
            box.send_keys(code)
            m.execute_script("document.body.setAttribute('data-state', 'test-submitting')")
            m.find_element(FBy.ID, 'open').click()
            return fwait(('locked', 'working', 'test-submitting'))

        def ftext():
            return m.execute_script('return document.body.innerText')

        hits0 = len([h for h in Pixel.hits if 'pixel' in h])
        st = fload(pages['A'])
        check('Firefox %s: page loads locked' % ver, st == 'locked', st)
        st = funlock('AAAAA-BBBBB-CCCCC-DDDDD')
        check('Firefox: wrong passcode shows the error and nothing else', st == 'error-wrong' and T_EN['wrong'] in ftext()
              and 'Purple-Otter' not in ftext(), st)
        st = funlock(PASS_BOB)
        check('Firefox: right passcode opens the message', st == 'open', st)
        m.find_element(FBy.ID, 'show-text').click()
        check('Firefox: text and attachment names shown', SENTENCE in ftext() and '\u65e5\u672c\u8a9e.txt' in ftext(), ftext()[:80])
        m.find_element(FBy.CSS_SELECTOR, '#attachments a[data-name="report-2mb.bin"]').click()
        p = wait_download(dl, 'report-2mb.bin')
        check('Firefox: 2 MB attachment saved, bytes equal', p is not None and open(p, 'rb').read() == attachment, str(p))
        m.find_element(FBy.ID, 'reply-button').click()
        m.find_element(FBy.ID, 'reply-text').send_keys('Reply from Firefox.')
        m.find_element(FBy.ID, 'reply-encrypt').click()
        link = None
        for _ in range(100):
            link = m.execute_script("var a = document.getElementById('reply-mailto'); return a ? a.href : null")
            if link:
                break
            time.sleep(0.1)
        try:
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
            envid, mime = env.open_reply(q['body'][0], org, secret)
            check('Firefox: secure reply verifies and decrypts (python)', envid == hdr_a['id'] and b'Reply from Firefox.' in mime)
        except Exception as e:
            check('Firefox: secure reply verifies and decrypts (python)', False, repr(e))
        fload(pages['X'])
        st = funlock(PASS_BOB)
        check('Firefox: expired envelope refused', st == 'error-expired' and 'Grey-Wolf' not in ftext(), st)
        fload(pages['D'])
        st = funlock(PASS_BOB)
        check('Firefox: damaged file message', st == 'error-damaged', st)
        fload(pages['R'])
        st = funlock(PASS_BOB)
        wm = m.execute_script("var w = document.getElementById('watermark'); return w ? w.textContent : ''")
        check('Firefox: rights envelope shows the watermark, no print button', st == 'open' and 'bob@example.com' in wm
              and not m.execute_script("return !!document.getElementById('print')"), st)
        with m.using_context('chrome'):
            m.execute_script("Services.prefs.setStringPref('intl.accept_languages', 'ja');")
        st = fload(pages['A'])
        check('Firefox: Japanese texts with the browser language Japanese',
              '\u30d1\u30b9\u30b3\u30fc\u30c9\u3092\u5165\u529b\u3057\u3066\u304f\u3060\u3055\u3044' in ftext(), ftext()[:60])
        check('Firefox: remote image never fetched', len([h for h in Pixel.hits if 'pixel' in h]) == hits0)
    except Exception as e:
        check('Firefox tests ran', False, repr(e)[:300])
    finally:
        try:
            if m:
                m.delete_session()
        except Exception:
            pass
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def gateway_tests(sealctl, tmp, downloads, keys, msg, attachment, page_a, hdr_a):
    """Interop both ways with the gateway's implementation (Sources/SealEnvelope via sealctl):
    an envelope sealed by `sealctl envelope seal` opens in Chromium and in the Python reader;
    the viewer's secure reply for it opens with `sealctl envelope open` (and a tampered one and
    one pointed at another envelope do not); the Python envelope opens with `sealctl envelope open`
    byte for byte."""
    h = subprocess.run([sealctl, 'envelope', 'seal', '--help'], capture_output=True, text=True)
    if h.returncode != 0:
        check('sealctl has `envelope seal`', False, (h.stderr or h.stdout).strip()[:200])
        return
    org_pem, secret_file = os.path.join(keys, 'org.pem'), os.path.join(keys, 'reply.secret')
    org, secret = env.load_keys(keys)
    src = os.path.join(tmp, 'gw-original.eml')
    with open(src, 'wb') as f:
        f.write(msg)
    cfg = os.path.join(tmp, 'gw-config.json')
    with open(cfg, 'w') as f:
        json.dump({'organisation': 'Gateway Corp', 'colors': {'accent': '#7b2cbf'}}, f)
    G = os.path.join(tmp, 'gateway.html')
    r = subprocess.run([sealctl, 'envelope', 'seal', '--passcode', PASS_BOB, '--to', 'bob@example.com',
                        '--hint', 'from the gateway', '--recovery-key', org_pem, '--reply-secret', secret_file,
                        '--expires-days', '3', '--config', cfg, '-o', G, src], capture_output=True, text=True)
    if not check('sealctl envelope seal builds an envelope', r.returncode == 0 and os.path.exists(G), r.stderr.strip()[:200]):
        return
    page_g = open(G, encoding='ascii').read()
    try:
        hg, mg, og = env.open_envelope(page_g, PASS_BOB)
        check('gateway envelope opens in the Python reader (passcode), original byte for byte', og == msg)
        og2 = env.open_envelope(page_g, org_priv=org)[2]
        check('gateway envelope opens in the Python reader (recovery key)', og2 == msg)
    except Exception as e:
        check('gateway envelope opens in the Python reader', False, repr(e))
        return
    # Python envelope -> the gateway's reader
    pa = os.path.join(tmp, 'python-made.html')
    with open(pa, 'w', encoding='ascii', newline='\n') as f:
        f.write(page_a)
    r = subprocess.run([sealctl, 'envelope', 'open', '--key', org_pem, pa], capture_output=True)
    check('Python-made envelope opens with `sealctl envelope open --key`, byte for byte', r.returncode == 0 and r.stdout == msg,
          r.stderr.decode(errors='replace')[:200])
    r = subprocess.run([sealctl, 'envelope', 'open', '--passcode', PASS_CAROL.lower(), pa], capture_output=True)
    check('Python-made envelope opens with `sealctl envelope open --passcode` (second recipient, lower case)',
          r.returncode == 0 and r.stdout == msg, r.stderr.decode(errors='replace')[:200])

    d = browser(downloads)
    try:
        d.get_log('performance')
        s = load(d, G)
        check('gateway envelope: page loads locked with the gateway\'s hint and branding', s == 'locked'
              and 'from the gateway' in visible_text(d) and d.find_element(By.ID, 'brand-name').text == 'Gateway Corp', s)
        s = unlock(d, 'AAAAA-BBBBB-CCCCC-DDDDD')
        check('gateway envelope: wrong passcode shows the error and nothing else', s == 'error-wrong'
              and 'Purple-Otter' not in visible_text(d) and not d.find_element(By.ID, 'message').is_displayed(), s)
        s = unlock(d, PASS_BOB)
        check('gateway envelope opens in Chromium', s == 'open', s)
        d.find_element(By.ID, 'show-text').click()
        check('gateway envelope: original text shown', SENTENCE in d.find_element(By.ID, 'msg-text').text)
        for old in ('report-2mb.bin',):
            if os.path.exists(os.path.join(downloads, old)):
                os.unlink(os.path.join(downloads, old))
        d.find_element(By.CSS_SELECTOR, '#attachments a[data-name="report-2mb.bin"]').click()
        p = wait_download(downloads, 'report-2mb.bin')
        check('gateway envelope: 2 MB attachment saved, bytes equal', p is not None and open(p, 'rb').read() == attachment)
        reqs = requests_from_log(d)
        foreign = [u for u, why in reqs if why != 'csp' and not (u.startswith('file://') and u.endswith(G))
                   and not u.startswith(('data:', 'blob:', 'about:'))]
        check('gateway envelope: no network request', not foreign and any(u.endswith(G) for u, _ in reqs), repr(foreign)[:200])
        art = os.environ.get('BROWSER_ARTIFACTS_DIR')
        if art:
            d.save_screenshot(os.path.join(art, 'viewer-gateway.png'))
        d.find_element(By.ID, 'reply-button').click()
        d.find_element(By.ID, 'reply-text').send_keys('Secure reply to the gateway envelope: Amber-Lynx-8.')
        d.find_element(By.ID, 'reply-encrypt').click()
        link = None
        for _ in range(100):
            links = d.find_elements(By.ID, 'reply-mailto')
            if links:
                link = links[0].get_attribute('href')
                break
            time.sleep(0.1)
        body = urllib.parse.parse_qs(urllib.parse.urlsplit(link or 'mailto:x?body=').query).get('body', [''])[0]
        rf = os.path.join(tmp, 'gw-reply.txt')
        with open(rf, 'w') as f:
            f.write(body)
        if art:
            shutil.copy(rf, os.path.join(art, 'secure-reply-gateway.txt'))
        r = subprocess.run([sealctl, 'envelope', 'open', '--key', org_pem, '--reply-secret', secret_file, rf], capture_output=True)
        out = r.stdout.decode(errors='replace')
        check('viewer\'s secure reply opens with `sealctl envelope open` (MAC and decryption by the gateway)',
              r.returncode == 0 and 'Amber-Lynx-8' in out and 'To: ' + mg['reply']['to'] in out, r.stderr.decode(errors='replace')[:200])
        # tampered: one character of the ciphertext inside the block changed
        m = re.search(re.escape(env.BEGIN) + r'\s*\n(.*?)' + re.escape(env.END), body, re.S)
        R = json.loads(base64.b64decode(''.join(m.group(1).split())))
        def armored(obj):
            b = base64.b64encode(json.dumps(obj).encode()).decode()
            return env.BEGIN + '\n' + '\n'.join(b[i:i + 76] for i in range(0, len(b), 76)) + '\n' + env.END + '\n'
        ct = bytearray(base64.b64decode(R['ct']))
        ct[len(ct) // 2] ^= 1
        for name, obj in (('tampered', dict(R, ct=base64.b64encode(bytes(ct)).decode())),
                          ('pointed at another envelope', dict(R, envelope=hdr_a['id']))):
            tf = os.path.join(tmp, 'gw-reply-bad.txt')
            with open(tf, 'w') as f:
                f.write(armored(obj))
            r = subprocess.run([sealctl, 'envelope', 'open', '--key', org_pem, '--reply-secret', secret_file, tf], capture_output=True)
            check('secure reply %s: `sealctl envelope open` refuses it' % name, r.returncode == 1 and not r.stdout,
                  'exit %d %s' % (r.returncode, r.stderr.decode(errors='replace')[:120]))
    finally:
        d.quit()


def reply_in_browser(d, text, attach=None):
    """In an opened envelope: Reply securely, type, attach, encrypt; returns the armored block
    (from the mailto: link, or the saved secure-reply.txt)."""
    d.find_element(By.ID, 'reply-button').click()
    d.find_element(By.ID, 'reply-text').send_keys(text)
    if attach:
        d.find_element(By.ID, 'reply-files').send_keys(os.path.abspath(attach))
    d.find_element(By.ID, 'reply-encrypt').click()
    for _ in range(300):
        if d.find_elements(By.ID, 'reply-mailto') or d.find_elements(By.ID, 'reply-file'):
            break
        time.sleep(0.1)
    links = d.find_elements(By.ID, 'reply-mailto')
    if links:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(links[0].get_attribute('href')).query)['body'][0]
    return d.find_element(By.ID, 'reply-block').get_attribute('value')


def delivered_tests(ddir, sealctl, downloads, art):
    """The envelope Tests/e2e/envelope.sh sent through the private Postfix, opened in Chromium
    with the passcode from the passcode message that arrived separately."""
    import email
    import email.policy
    need = ['message.html', 'passcode.txt', 'orig.eml', 'orig.eml.att', 'envelope-recovery.pem', 'envelope-reply.secret']
    missing = [n for n in need if not os.path.exists(os.path.join(ddir, n))]
    if missing:
        check('envelope delivered by the Postfix e2e present in %s' % ddir, False,
              'missing %s (Tests/e2e/envelope.sh DAEMON SEALCTL OUTDIR, or E2E_ENVELOPE_OUT, makes them)' % ', '.join(missing))
        return
    page = os.path.join(ddir, 'message.html')
    passcode = open(os.path.join(ddir, 'passcode.txt')).read().strip()
    orig = email.message_from_bytes(open(os.path.join(ddir, 'orig.eml'), 'rb').read(), policy=email.policy.default)
    body = orig.get_body(('plain',)).get_content()
    line = max((l.strip() for l in body.splitlines()), key=len)
    att_part = next(p for p in orig.iter_attachments())
    att_name, att = att_part.get_filename(), open(os.path.join(ddir, 'orig.eml.att'), 'rb').read()
    dl = os.path.join(downloads, 'delivered')
    os.makedirs(dl, exist_ok=True)
    d = browser(dl)
    try:
        d.get_log('performance')
        s = load(d, page)
        check('delivered envelope (through Postfix): page loads locked', s == 'locked', s)
        s = unlock(d, 'AAAAA-BBBBB-CCCCC-DDDDD')
        check('delivered envelope: wrong passcode shows the error and nothing else', s == 'error-wrong'
              and line not in visible_text(d) and not d.find_element(By.ID, 'message').is_displayed(), s)
        s = unlock(d, passcode)
        check('delivered envelope: the passcode from the passcode message opens it', s == 'open', s)
        if d.find_elements(By.ID, 'show-text'):
            d.find_element(By.ID, 'show-text').click()
        check('delivered envelope: the original text is shown', line in visible_text(d), line[:60])
        d.save_screenshot(os.path.join(art, 'viewer-delivered.png'))
        d.find_element(By.CSS_SELECTOR, '#attachments a[data-name="%s"]' % att_name).click()
        p = wait_download(dl, att_name)
        check('delivered envelope: the %d-byte attachment is saved, bytes equal the original' % len(att),
              p is not None and open(p, 'rb').read() == att)
        reqs = requests_from_log(d)
        foreign = [u for u, why in reqs if why != 'csp' and not (u.startswith('file://') and u.endswith(page))
                   and not u.startswith(('data:', 'blob:', 'about:'))]
        check('delivered envelope: no network request (DevTools log)', not foreign and any(u.endswith(page) for u, _ in reqs), repr(foreign)[:200])
        if sealctl:
            block = reply_in_browser(d, 'Browser reply to the delivered envelope: Coral-Newt-6.')
            rf = os.path.join(dl, 'reply.txt')
            with open(rf, 'w') as f:
                f.write(block)
            shutil.copy(rf, os.path.join(art, 'secure-reply-delivered.txt'))
            r = subprocess.run([sealctl, 'envelope', 'open', '--key', os.path.join(ddir, 'envelope-recovery.pem'),
                                '--reply-secret', os.path.join(ddir, 'envelope-reply.secret'), rf], capture_output=True)
            check('delivered envelope: the viewer\'s secure reply opens with the gateway\'s keys (sealctl envelope open)',
                  r.returncode == 0 and b'Coral-Newt-6' in r.stdout, r.stderr.decode(errors='replace')[:200])
    finally:
        d.quit()
    dj = browser(dl, lang='ja')
    try:
        s = load(dj, page)
        check('delivered envelope in a Japanese browser: Japanese texts', s == 'locked'
              and '\u30d1\u30b9\u30b3\u30fc\u30c9\u3092\u5165\u529b\u3057\u3066\u304f\u3060\u3055\u3044' in visible_text(dj), s)
        s = unlock(dj, passcode)
        check('delivered envelope in a Japanese browser: opens, labels in Japanese', s == 'open' and '\u5dee\u51fa\u4eba' in visible_text(dj), s)
        dj.save_screenshot(os.path.join(art, 'viewer-delivered-ja.png'))
    finally:
        dj.quit()


def paste_probe(d):
    """Selects all in the opened message, copies (Ctrl+C), then pastes (Ctrl+V) into a paste
    target and returns what arrived. The target is the reply box when the rights allow a reply,
    else a text box added to the page for the probe."""
    if d.find_elements(By.ID, 'reply-button'):
        return copy_all_and_paste(d)
    A = webdriver.ActionChains
    d.find_element(By.ID, 'msg-body').click()
    A(d).key_down(Keys.CONTROL).send_keys('a').key_up(Keys.CONTROL).perform()
    A(d).key_down(Keys.CONTROL).send_keys('c').key_up(Keys.CONTROL).perform()
    d.execute_script("var t = document.createElement('textarea'); t.id = 'paste-probe'; document.documentElement.appendChild(t);")
    ta = d.find_element(By.ID, 'paste-probe')
    ta.click()
    A(d).key_down(Keys.CONTROL).send_keys('v').key_up(Keys.CONTROL).perform()
    time.sleep(0.3)
    return ta.get_attribute('value')


def watermark_over(d, element_id):
    """True when #watermark lies on top of the centre of the element: with the watermark made
    hit-testable for a moment, elementFromPoint at that point lands inside it."""
    return d.execute_script("""
        var w = document.getElementById('watermark'), e = document.getElementById(arguments[0]);
        if (!w || !e) { return false; }
        var r = e.getBoundingClientRect(), x = r.left + r.width / 2, y = r.top + Math.min(r.height / 2, 40);
        var old = w.style.pointerEvents; w.style.pointerEvents = 'auto';
        var hit = document.elementFromPoint(x, y);
        w.style.pointerEvents = old;
        return !!hit && w.contains(hit);""", element_id)


def rights_delivered_tests(rdir, cdir, downloads, tmp, art):
    """Issue 13's first acceptance item: the envelope that `protect` delivered through the private
    Postfix (Tests/e2e/rights.sh OUTDIR), opened in headless Chromium with the passcode from its
    passcode message, shows the watermark with the recipient's address over the content, prints
    (Page.printToPDF, pdftotext) none of the message text, and select-all + copy yields nothing;
    the reply UI follows the template's rights. The unprotected envelope that went through
    Postfix in Tests/e2e/envelope.sh (--delivered) is the control: there the text prints, copies
    and quotes, and no watermark is shown, so every check here can fail."""
    import email
    import email.policy
    need = ['message.html', 'passcode.txt', 'recipient.txt', 'template.txt', 'orig.eml', 'envelope-recovery.pem']
    missing = [n for n in need if not os.path.exists(os.path.join(rdir, n))]
    if missing:
        check('protected envelope delivered by the Postfix e2e present in %s' % rdir, False,
              'missing %s%s (Tests/e2e/rights.sh DAEMON SEALCTL OUTDIR, or E2E_RIGHTS_OUT, makes them)'
              % (', '.join(missing), '' if os.path.isdir(rdir) else ': the directory does not exist'))
        return
    cneed = ['message.html', 'passcode.txt', 'orig.eml']
    if not cdir or [n for n in cneed if not os.path.exists(os.path.join(cdir, n))]:
        check('control: the unprotected envelope delivered by Tests/e2e/envelope.sh present', False,
              'give --delivered DIR with %s (Tests/e2e/envelope.sh OUTDIR / E2E_ENVELOPE_OUT)' % ', '.join(cneed))
        return
    page = os.path.join(rdir, 'message.html')
    passcode = open(os.path.join(rdir, 'passcode.txt')).read().strip()
    rcpt = open(os.path.join(rdir, 'recipient.txt')).read().strip()
    template = open(os.path.join(rdir, 'template.txt')).read().strip()
    orig = email.message_from_bytes(open(os.path.join(rdir, 'orig.eml'), 'rb').read(), policy=email.policy.default)
    text = orig.get_body(('plain',)).get_content()
    # the message's text: every line of the body, and the subject without the [secret] tag
    lines = [l.strip() for l in text.splitlines() if len(l.strip()) >= 12]
    subject = re.sub(r'^\[[^]]*\]\s*', '', str(orig['Subject']))
    probes = lines + [subject]
    # The rights as the gateway wrote them into the envelope (Python reader, recovery key).
    r = subprocess.run([sys.executable, os.path.join(HERE, '..', 'envelope', 'envelope.py'), 'open', page,
                        '--key', os.path.join(rdir, 'envelope-recovery.pem'), '--meta'], capture_output=True, text=True)
    try:
        rights = json.loads(r.stdout).get('rights') or {}
    except ValueError:
        rights = {}
    check('protected delivered envelope: meta.rights is template %s with no_print, no_copy, watermark' % template,
          rights.get('template') == template and all(rights.get(k) is True for k in ('no_print', 'no_copy', 'watermark')),
          'meta.rights %r %s' % (rights, r.stderr.strip()[:160]))

    cpage = os.path.join(cdir, 'message.html')
    cpass = open(os.path.join(cdir, 'passcode.txt')).read().strip()
    corig = email.message_from_bytes(open(os.path.join(cdir, 'orig.eml'), 'rb').read(), policy=email.policy.default)
    cline = max((l.strip() for l in corig.get_body(('plain',)).get_content().splitlines()), key=len)

    dl = os.path.join(downloads, 'rights-delivered')
    os.makedirs(dl, exist_ok=True)
    d = browser(dl)
    try:
        # ---- the protected envelope, as delivered to the outside recipient
        s = load(d, page)
        check('protected delivered envelope (through Postfix, protect): page loads locked', s == 'locked', s)
        s = unlock(d, passcode)
        check('protected delivered envelope: the passcode from its passcode message opens it', s == 'open', s)
        shown = visible_text(d)
        check('protected delivered envelope: the message text is shown on screen', all(l in shown for l in lines) and subject in shown,
              repr(shown[:120]))
        wm = d.find_elements(By.ID, 'watermark')
        wtext = wm[0].text if wm else ''
        today = datetime.now(timezone.utc).strftime('%Y-%m-%d')
        check('protected delivered envelope: watermark with the recipient\'s address (%s) and the date shown' % rcpt,
              wm and wm[0].is_displayed() and rcpt in wtext and wtext.count(rcpt) >= 2 and today in wtext, repr(wtext[:80]))
        check('protected delivered envelope: the watermark lies over the message text', watermark_over(d, 'msg-text'))
        d.save_screenshot(os.path.join(art, 'viewer-rights-delivered.png'))
        pt = pdf_text(d, tmp, 'rights-delivered')
        flat = ' '.join(pt.split())
        leaked = [p for p in probes if ' '.join(p.split()) in flat or p[:30] in flat or p[-30:] in flat]
        check('protected delivered envelope: print to PDF (Page.printToPDF, pdftotext) has none of the message text',
              not leaked and 'not allowed' in pt, 'leaked %r; PDF text %r' % (leaked, pt[:100]))
        pasted = paste_probe(d)
        check('protected delivered envelope: select all + copy yields nothing (paste target stays empty)',
              pasted.strip() == '', repr(pasted[:80]))
        # reply UI against the template's rights
        if rights.get('reply') is False:
            check('protected delivered envelope: reply: false, no reply button', not d.find_elements(By.ID, 'reply-button'))
        else:
            if not d.find_elements(By.ID, 'reply-text'):
                btn = d.find_elements(By.ID, 'reply-button')
                if btn:
                    btn[0].click()
            check('protected delivered envelope: reply allowed by the template, the reply form is offered',
                  bool(d.find_elements(By.ID, 'reply-text')))
            if rights.get('no_forward') or rights.get('no_copy'):
                check('protected delivered envelope: no_forward/no_copy, the reply cannot quote the original',
                      not d.find_elements(By.ID, 'reply-quote'))
            if rights.get('no_reply_all'):
                check('protected delivered envelope: no_reply_all, no reply-all choice', not d.find_elements(By.ID, 'reply-all'))

        # ---- control: the unprotected envelope delivered through Postfix (Tests/e2e/envelope.sh)
        s = load(d, cpage)
        s = unlock(d, cpass)
        if d.find_elements(By.ID, 'show-text'):
            d.find_element(By.ID, 'show-text').click()
        check('control (unprotected delivered envelope): opens, no watermark', s == 'open' and cline in visible_text(d)
              and not d.find_elements(By.ID, 'watermark'), s)
        ct = pdf_text(d, tmp, 'control-delivered')
        check('control: print to PDF has the message text', ' '.join(cline.split())[:30] in ' '.join(ct.split()), repr(ct[:100]))
        pasted = paste_probe(d)
        check('control: select all + copy + paste gives the message text', cline in pasted, repr(pasted[:80]))
        check('control: the reply can quote the original', bool(d.find_elements(By.ID, 'reply-quote')))
    finally:
        d.quit()


def make_reply(page, passcode, text, attach, out):
    tmp = tempfile.mkdtemp(prefix='sealmilter-reply-')
    d = browser(tmp)
    try:
        load(d, os.path.abspath(page))
        s = unlock(d, passcode)
        if s != 'open':
            sys.exit('FAIL: the envelope did not open in Chromium (%s)' % s)
        block = reply_in_browser(d, text, attach)
    finally:
        d.quit()
        shutil.rmtree(tmp, ignore_errors=True)
    with open(out, 'w') as f:
        f.write(block.replace('\r\n', '\n'))


def bench(mb, tmp, downloads, pub, secret):
    # a message of `mb` MiB: one base64 attachment (78 bytes of message per 57 bytes of file)
    big = os.urandom((mb * 1024 * 1024 - 400) * 57 // 78)
    m = ('From: a@example.org\r\nTo: bob@example.com\r\nSubject: bench\r\nMIME-Version: 1.0\r\n'
         'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nbench\r\n'
         '--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n'
         'Content-Disposition: attachment; filename="big.bin"\r\n\r\n').encode() + b64lines(big).encode() + b'\r\n--b--\r\n'
    page, _, _ = env.seal(m, [('bob@example.com', PASS_BOB, None)], pub, secret)
    p = os.path.join(tmp, 'bench.html')
    with open(p, 'w') as f:
        f.write(page)
    d = browser(downloads)
    try:
        t0 = time.time()
        load(d, p)
        t_load = time.time() - t0
        rows = []
        for _ in range(5):
            load(d, p)
            t1 = time.time()
            s = unlock(d, PASS_BOB)
            t2 = time.time()
            b = d.find_element(By.TAG_NAME, 'body')
            rows.append((s, int(b.get_attribute('data-kdf-ms')), int(b.get_attribute('data-decrypt-ms')), int(b.get_attribute('data-base64-ms')),
                         int(b.get_attribute('data-render-ms')), round((t2 - t1) * 1000)))
        print('# bench: message %d bytes, page %d bytes, first page load %.2f s' % (len(m), len(page), t_load))
        for r in rows:
            print('# bench: state %s  pbkdf2 %d ms  decrypt %d ms (of which base64 %d ms)  parse+render %d ms  click-to-shown %d ms' % r)
        d.find_element(By.CSS_SELECTOR, '#attachments a').click()
        t3 = time.time()
        q = wait_download(downloads, 'big.bin', timeout=120)
        ok = q and open(q, 'rb').read() == big
        print('# bench: the %d-byte attachment saved in %.2f s, equal: %s' % (len(big), time.time() - t3, bool(ok)))
        print('# bench: chromium %s, load average %s' % (d.capabilities.get('browserVersion'), open('/proc/loadavg').read().split()[0]))
    finally:
        d.quit()


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--sealctl')
    ap.add_argument('--artifacts')
    ap.add_argument('--bench-mb', type=int, default=0)
    ap.add_argument('--bench-only', action='store_true')
    ap.add_argument('--delivered')
    ap.add_argument('--rights-delivered')
    ap.add_argument('--make-reply', metavar='PAGE')
    ap.add_argument('--passcode')
    ap.add_argument('--text', default='')
    ap.add_argument('--attach')
    ap.add_argument('--out')
    a = ap.parse_args()
    if a.make_reply:
        if not (a.passcode and a.out):
            sys.exit('usage: test_viewer.py --make-reply PAGE --passcode P --text T [--attach FILE] --out FILE')
        make_reply(a.make_reply, a.passcode, a.text, a.attach, a.out)
        sys.exit(0)
    if a.bench_only:
        btmp = tempfile.mkdtemp(prefix='sealmilter-bench-')
        os.makedirs(os.path.join(btmp, 'downloads'))
        env.make_keys(os.path.join(btmp, 'keys'))
        borg, bsecret = env.load_keys(os.path.join(btmp, 'keys'))
        bench(a.bench_mb or 20, btmp, os.path.join(btmp, 'downloads'), borg.public_key(), bsecret)
        shutil.rmtree(btmp, ignore_errors=True)
        sys.exit(0)
    try:
        run(a)
    except SystemExit:
        raise
    except Exception:
        traceback.print_exc()
        check('test run completed without an exception', False)
    failed = [n for n, ok in results if not ok]
    print('browser: %d checks, %d failed' % (len(results), len(failed)))
    sys.exit(1 if failed or not results else 0)
