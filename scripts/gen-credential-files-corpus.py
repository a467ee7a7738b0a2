#!/usr/bin/env python3
"""Write a small leaked-config corpus for the credential-file rules (issue 10):
one realistic file per format under its real name (labels.json: the lines of
its secrets) and look-alikes that must stay quiet (templates, docs, code,
placeholders; no labels). Values are random, from a fixed seed; the layout is
the one ../shared/eval/score.py reads (files/, labels.json).

    scripts/gen-credential-files-corpus.py OUT
    python3 ../shared/eval/score.py OUT --keyhound target/release/keyhound
"""
import base64, json, os, random, shutil, sqlite3, string, sys
R = random.Random(10)
out = sys.argv[1]
shutil.rmtree(out, ignore_errors=True)
labels = []
A = string.ascii_letters + string.digits
def rnd(n, al=A): return ''.join(R.choice(al) for _ in range(n))
def human(): return R.choice(['Summer', 'Winter', 'Dragon', 'Monkey', 'Falcon']) + str(R.randint(1970, 2024)) + R.choice('!#@$')
def b64(s): return base64.b64encode(s.encode()).decode()
def put(path, text, secret_lines=(), kind=None, cat='generic', binary=False):
    p = os.path.join(out, 'files', path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, 'wb').write(text if binary else text.encode())
    for ln in secret_lines:
        labels.append({'path': os.path.join('files', path), 'line': ln, 'end_line': ln, 'category': cat, 'kind': kind or path})
def line_of(text, needle): return text[:text.index(needle)].count('\n') + 1
def pos(path, text, needles, kind, cat='generic'):
    put(path, text, [line_of(text, n) for n in needles], kind, cat)

p = human(); t = f"machine api.heroku.com\n  login ops@acme-corp.io\n  password {p}\nmachine ftp.acme-corp.io login web password {rnd(12)}\n"
pos('home/.netrc', t, ['login web password'], 'netrc')
labels.append({'path': 'files/home/.netrc', 'line': 1, 'end_line': 3, 'category': 'generic', 'kind': 'netrc-multiline'})
p = rnd(20); t = f"# hostname:port:database:username:password\ndb-prod.acme-corp.io:5432:orders:app_rw:{p}\n*:*:*:postgres:{human()}\n"
pos('home/.pgpass', t, [p, '*:*:*:postgres'], 'pgpass')
p = 'ghp_' + rnd(36); t = f"https://octocat:{p}@github.com\nhttps://deploy:{human()}@gitlab.acme-corp.io\n"
pos('home/.git-credentials', t, [p, 'deploy:'], 'git-credentials')
a = b64('acmebot:' + human()); t = '{\n\t"auths": {\n\t\t"https://index.docker.io/v1/": {\n\t\t\t"auth": "' + a + '"\n\t\t}\n\t},\n\t"HttpHeaders": {\n\t\t"User-Agent": "Docker-Client/19.03.12 (linux)"\n\t}\n}\n'
pos('home/.docker/config.json', t, [a], 'docker-config')
a = b64('deployer:' + rnd(16)); t = '{"registry.acme-corp.io:5000": {"auth": "' + a + '", "email": "ops@acme-corp.io"}}\n'
pos('home/.dockercfg', t, [a], 'dockercfg')
u = '%08x-%04x-%04x-%04x-%012x' % (R.getrandbits(32), R.getrandbits(16), R.getrandbits(16), R.getrandbits(16), R.getrandbits(48))
a = b64('deploy:' + human())
t = f"registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken={u}\n//nexus.acme-corp.io/repository/npm/:_auth={a}\nalways-auth=true\n"
pos('home/.npmrc', t, [u, a], 'npmrc')
p1, p2 = human(), rnd(18)
t = f"[distutils]\nindex-servers =\n    pypi\n    internal\n\n[pypi]\nusername = acme\npassword = {p1}\n\n[internal]\nrepository = https://pypi.acme-corp.io/simple\nusername = deploy\npassword = {p2}\n"
pos('home/.pypirc', t, [p1, p2], 'pypirc')
L = lambda n: rnd(n, A + '+/')
t = "PuTTY-User-Key-File-2: ssh-rsa\r\nEncryption: none\r\nComment: rsa-key-20190415\r\nPublic-Lines: 6\r\nAAAAB3NzaC1yc2EAAAABJQAAAQEA" + L(36) + "\r\n" + "\r\n".join(L(64) for _ in range(4)) + "\r\n" + L(20) + "\r\nPrivate-Lines: 14\r\n" + "\r\n".join(L(64) for _ in range(13)) + "\r\n" + L(44) + "\r\nPrivate-MAC: " + rnd(40, '0123456789abcdef') + "\r\n"
put('home/putty/server.ppk', t)
labels.append({'path': 'files/home/putty/server.ppk', 'line': 1, 'end_line': t.count('\n'), 'category': 'generic', 'kind': 'ppk'})
pz = human(); pzb = b64(rnd(14))
t = f'<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>\n<FileZilla3 version="3.46.3" platform="windows">\n    <RecentServers>\n        <Server>\n            <Host>ftp.acme-corp.io</Host>\n            <Port>21</Port>\n            <Protocol>0</Protocol>\n            <Type>0</Type>\n            <User>webmaster</User>\n            <Pass>{pz}</Pass>\n            <Logontype>1</Logontype>\n        </Server>\n        <Server>\n            <Host>sftp.acme-corp.io</Host>\n            <Port>22</Port>\n            <Protocol>1</Protocol>\n            <User>deploy</User>\n            <Pass encoding="base64">{pzb}</Pass>\n        </Server>\n    </RecentServers>\n</FileZilla3>\n'
pos('home/.config/filezilla/recentservers.xml', t, [pz, pzb], 'filezilla')
p = human(); t = '{\n\t"folders": {},\n\t"connections": {\n\t\t"mysql8-17a3f5e1b42-6e1b2c": {\n\t\t\t"provider": "mysql",\n\t\t\t"driver": "mysql8",\n\t\t\t"name": "prod",\n\t\t\t"save-password": true,\n\t\t\t"configuration": {\n\t\t\t\t"host": "db.acme-corp.io",\n\t\t\t\t"port": "3306",\n\t\t\t\t"url": "jdbc:mysql://db.acme-corp.io:3306/",\n\t\t\t\t"type": "prod",\n\t\t\t\t"auth-model": "native",\n\t\t\t\t"user": "root",\n\t\t\t\t"password": "' + p + '"\n\t\t\t}\n\t\t}\n\t}\n}\n'
pos('home/.local/share/DBeaverData/workspace6/General/.dbeaver/data-sources.json', t, [p], 'dbeaver-data-sources')
put('home/.local/share/DBeaverData/workspace6/General/.dbeaver/credentials-config.json', bytes(R.getrandbits(8) for _ in range(96)), binary=True)
labels.append({'path': 'files/home/.local/share/DBeaverData/workspace6/General/.dbeaver/credentials-config.json', 'line': 1, 'end_line': 10**6, 'category': 'generic', 'kind': 'dbeaver-credentials'})
enc = ''.join('%04x' % (ord(c) ^ 0xdfaa) for c in human())
t = f'<?xml version="1.0" encoding="UTF-8"?>\n<application>\n  <component name="WebServers">\n    <option name="servers">\n      <webServer id="a1b2c3d4-0000-4000-8000-{rnd(12, "0123456789abcdef")}" name="prod" url="http://www.acme-corp.io">\n        <fileTransfer host="ftp.acme-corp.io" port="21" rootFolder="/public_html" accessType="FTP" login="acme" password="{enc}" />\n      </webServer>\n    </option>\n  </component>\n</application>\n'
pos('project/.idea/WebServers.xml', t, [enc], 'jetbrains')
for path, key in [('project/sftp-config.json', 'password'), ('project/.vscode/sftp.json', 'password'), ('project/.ftpconfig', 'pass'), ('project/.remote-sync.json', 'password'), ('project/deployment-config.json', 'password')]:
    p = R.choice([human(), rnd(14)])
    t = '{\n    "type": "sftp",\n    "save_before_upload": true,\n    "upload_on_save": false,\n    "host": "web1.acme-corp.io",\n    "user": "deploy",\n    "' + key + '": "' + p + '",\n    "port": "22",\n    "remote_path": "/var/www/html/"\n}\n'
    pos(path, t, [p], os.path.basename(path))
p = human(); t = '{\n    "connections": [\n        {\n            "configVersion": 2,\n            "connectionName": "prod",\n            "credentials": [\n                {\n                    "databaseName": "admin",\n                    "enabled": true,\n                    "mechanism": "SCRAM-SHA-1",\n                    "userName": "root",\n                    "userPassword": "' + p + '"\n                }\n            ],\n            "serverHost": "mongo.acme-corp.io",\n            "serverPort": 27017\n        }\n    ]\n}\n'
pos('home/.3T/robo-3t/1.4.1/robo3t.json', t, [p], 'robo3t')
p = rnd(16); t = '{"type":"Compass Connections","version":{"$numberInt":"1"},"connections":[{"id":"6f1c2d3e-aaaa-4bbb-8ccc-' + rnd(12, '0123456789abcdef') + '","connectionOptions":{"connectionString":"mongodb://app:' + p + '@mongo.acme-corp.io:27017/?authSource=admin"},"favorite":{"name":"prod"}}]}\n'
pos('exports/compass-connections.json', t, [p], 'compass')
C = './' + string.ascii_letters + string.digits
t = f"root:$6${rnd(16, C)}${rnd(86, C)}:18000:0:99999:7:::\ndaemon:*:18000:0:99999:7:::\nbin:*:18000:0:99999:7:::\nwww-data:*:18000:0:99999:7:::\nubuntu:$6$rounds=5000${rnd(16, C)}${rnd(86, C)}:18000:0:99999:7:::\n"
put('etc/shadow', t, [1, 5], 'shadow', 'generic')
t = f"admin:$apr1${rnd(8, C)}${rnd(22, C)}\nstats:{{SHA}}{b64(rnd(20))[:27]}=\ndev:$2y$05${rnd(53, C)}\n"
put('web/.htpasswd', t, [1, 2, 3], 'htpasswd')
t = '{"nextId":3,"logins":[{"id":1,"hostname":"https://admin.acme-corp.io","httpRealm":null,"formSubmitURL":"https://admin.acme-corp.io","usernameField":"user","passwordField":"pass","encryptedUsername":"MDoEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECL' + L(24) + '","encryptedPassword":"MEIEEPgAAAAAAAAAAAAAAAAAAAEwFAYIKoZIhvcNAwcECC' + L(40) + '","guid":"{' + rnd(8, '0123456789abcdef') + '-0000-4000-8000-000000000000}","encType":1,"timeCreated":1582046547232,"timeLastUsed":1582046547232,"timePasswordChanged":1582046547232,"timesUsed":1}],"disabledHosts":[],"version":2}\n'
put('home/.mozilla/firefox/abcd1234.default/logins.json', t, [1], 'firefox-logins')
db = os.path.join(out, 'files/home/.mozilla/firefox/abcd1234.default/key4.db')
c = sqlite3.connect(db)
c.execute('CREATE TABLE metaData (id PRIMARY KEY UNIQUE ON CONFLICT REPLACE, item1, item2)')
c.execute('CREATE TABLE nssPrivate (id PRIMARY KEY UNIQUE ON CONFLICT ABORT, a0, a1, a2, a3, a10, a11, a12)')
c.execute("INSERT INTO metaData VALUES ('password', ?, ?)", (os.urandom(20), b'0\x81' + os.urandom(60)))
c.execute("INSERT INTO nssPrivate (id, a0, a11) VALUES (1, 1, ?)", (b'0\x81' + os.urandom(80),))
c.commit(); c.close()
labels.append({'path': 'files/home/.mozilla/firefox/abcd1234.default/key4.db', 'line': 1, 'end_line': 10**6, 'category': 'generic', 'kind': 'firefox-key4'})

# Look-alikes: templates, docs and placeholders that must stay quiet.
put('lookalike/.netrc', "machine api.heroku.com\n  login you@example.com\n  password ${HEROKU_API_KEY}\n")
put('lookalike/docs/netrc.md', "Put `machine <host> login <user> password <password>` in ~/.netrc.\n")
put('lookalike/.pgpass', "# hostname:port:database:username:password\nlocalhost:5432:*:postgres:${PGPASSWORD}\n")
put('lookalike/notes.txt', f"deploy targets:\nweb1:22:www:deploy:stage-only\ndb-prod.acme-corp.io:5432:orders:app_rw:{rnd(20)}\n")
put('lookalike/.docker/config.json', '{\n\t"auths": {\n\t\t"ghcr.io": {}\n\t},\n\t"credsStore": "desktop"\n}\n')
put('lookalike/docker-sample.json', '{"auths": {"https://index.docker.io/v1/": {"auth": "' + b64('username:password') + '"}}}\n')
put('lookalike/.npmrc', "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n//npm.pkg.github.com/:_authToken=${GITHUB_TOKEN}\n")
put('lookalike/.pypirc', "[pypi]\nusername = __token__\npassword = <your PyPI token>\n")
put('lookalike/sftp-config.json', '{\n    // sftp, ftp or ftps\n    "type": "sftp",\n    "host": "example.com",\n    "user": "username",\n    //"password": "password",\n    //"port": "22",\n}\n')
put('lookalike/.vscode/sftp.json', '{\n    "name": "My Server",\n    "host": "localhost",\n    "protocol": "sftp",\n    "username": "username",\n    "password": "",\n    "remotePath": "/"\n}\n')
put('lookalike/sitemanager.xml', '<Server>\n  <Host>ftp.example.com</Host>\n  <User>anonymous</User>\n  <Pass encoding="base64" />\n</Server>\n')
put('lookalike/src/hash_test.php', "<?php\n$hash = '$2y$10$" + rnd(53, C) + "';\nassert(password_verify('x', $hash));\n")
put('lookalike/etc/shadow', "root:*:18000:0:99999:7:::\nubuntu:!:18000:0:99999:7:::\n")
put('lookalike/putty-howto.md', "A key file starts with `PuTTY-User-Key-File-2: ssh-rsa` then `Encryption: none`.\n")
put('lookalike/logins.json', '{"nextId":1,"logins":[],"potentiallyVulnerablePasswords":[],"dismissedBreachAlertsByLoginGUID":{},"version":3}\n')

put('lookalike/roles/db/templates/pgpass.j2', "{{ pg_host }}:5432:*:{{ pg_user }}:{{ pg_password }}\n")
put('lookalike/roles/db/files/.pgpass', "{{ pg_host }}:5432:*:{{ pg_user }}:{{ pg_password }}\n")
put('lookalike/tests/test_netrc.py', "def test_netrc(tmp_path):\n    (tmp_path / '.netrc').write_text(f'machine {HOST} login {USER} password {PASSWORD}\\n')\n")
put('lookalike/docs/docker.md', 'Your `~/.docker/config.json` then holds\n\n```json\n{"auths": {"https://index.docker.io/v1/": {"auth": "<base64 of user:password>"}}}\n```\n')
put('lookalike/api/fixtures/user.json', '{"id": 7, "userName": "jdoe", "userPassword": "' + human() + '", "roles": ["admin"]}\n')
put('lookalike/.npmrc.example', "//registry.npmjs.org/:_authToken=YOUR_NPM_TOKEN_HERE\n_auth=${NPM_AUTH}\n")
put('lookalike/deploy/.ftpconfig', '{\n    "protocol": "ftp",\n    "host": "ftp.example.com",\n    "user": "",\n    "pass": "",\n    "promptForPass": false\n}\n')
put('lookalike/xml/users.xml', '<users><user><Name>jdoe</Name><Pass>' + rnd(12) + '</Pass></user></users>\n')
put('lookalike/src/creds.go', 'var hashed = "$2a$10$' + rnd(53, C) + '"\n')
put('lookalike/README.md', "Docker stores logins as `\"auth\": \"dXNlcjpwYXNzd29yZA==\"` (base64 of `user:password`).\n")
json.dump(labels, open(os.path.join(out, 'labels.json'), 'w'), indent=1)
print(len(labels), 'labels')
