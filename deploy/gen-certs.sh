#!/usr/bin/env bash
# gen-certs.sh: makes the certificates a TLS deployment of Keel needs, with
# the openssl command, into one directory:
#
#   ca.crt ca.key          a private certificate authority (self-signed)
#   server.crt server.key  keel-server's certificate, signed by that CA, for
#                          CN=localhost with subjectAltName localhost,
#                          127.0.0.1 and ::1 (plus any --host/--ip given); it
#                          may also act as a client (replication links)
#   client.crt client.key  a client certificate signed by the same CA, for
#                          tls-auth-clients yes
#
# Usage: deploy/gen-certs.sh DIR [--days N] [--host NAME]... [--ip ADDR]...
#                                [--cn NAME]
#
# Then, for example:
#   keel-server --port 0 --tls-port 6379 --tls-cert-file DIR/server.crt \
#       --tls-key-file DIR/server.key --tls-ca-cert-file DIR/ca.crt
#   keel-cli --tls --cacert DIR/ca.crt --cert DIR/client.crt --key DIR/client.key
#
# Existing files in DIR are replaced.  Keys are written readable by the
# owner only.  For a real deployment across hosts, pass every name and
# address clients will use with --host and --ip.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit "${1:-2}"
}

[ $# -ge 1 ] || usage
case "$1" in -h | --help) usage 0 ;; esac
dir=$1
shift
days=3650
cn=localhost
hosts=(localhost)
ips=(127.0.0.1 ::1)
while [ $# -gt 0 ]; do
    case "$1" in
    --days) days=${2:?--days needs a value}; shift 2 ;;
    --host) hosts+=("${2:?--host needs a value}"); shift 2 ;;
    --ip) ips+=("${2:?--ip needs a value}"); shift 2 ;;
    --cn) cn=${2:?--cn needs a value}; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "gen-certs.sh: unknown option $1" >&2; usage ;;
    esac
done

command -v openssl >/dev/null || {
    echo "gen-certs.sh: the openssl command is missing (apt-get install openssl)" >&2
    exit 1
}
mkdir -p "$dir"
cd "$dir"
umask 077 # private keys must not be readable by others

san=""
for h in "${hosts[@]}"; do san+="${san:+,}DNS:$h"; done
for ip in "${ips[@]}"; do san+="${san:+,}IP:$ip"; done

# The serial file lives beside the CA so repeated runs issue new serials.
key() { openssl genrsa -out "$1" 2048 2>/dev/null; }

key ca.key
openssl req -x509 -new -nodes -sha256 -key ca.key -days "$days" \
    -subj "/O=Keel/CN=Keel Certificate Authority" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out ca.crt

# sign NAME SUBJECT EXTENSIONS: NAME.key and NAME.crt signed by the CA.
sign() {
    local name=$1 subj=$2 ext=$3
    key "$name.key"
    openssl req -new -sha256 -key "$name.key" -subj "$subj" -out "$name.csr"
    printf '%b' "$ext" >"$name.ext"
    openssl x509 -req -sha256 -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial \
        -days "$days" -extfile "$name.ext" -out "$name.crt" 2>/dev/null
    rm -f "$name.csr" "$name.ext"
}

sign server "/O=Keel/CN=$cn" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=$san\n"
sign client "/O=Keel/CN=keel-client" \
    "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n"

# Certificates are public; keep them readable by the service's user.
chmod 644 ca.crt server.crt client.crt
echo "gen-certs.sh: wrote ca, server and client certificates to $(pwd)"
