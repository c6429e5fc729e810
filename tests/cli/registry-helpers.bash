# Registries for the tests (tests/cli/registry.bats, bench/pull.sh): Debian's docker-registry
# on 127.0.0.1 with a free port and a config file of the test's own, plain HTTP or TLS with a
# CA and certificate made here and htpasswd Basic auth; skopeo puts images into them. Only
# loopback is ever contacted. Every process started here is ended by its pid.

# A free TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL [CURL-ARGS…]: poll until something answers HTTP at URL (generous bound, no
# wall clock).
wait_http() {
	local i code url=$1
	shift
	for i in $(seq 1 1200); do
		code=$(curl -sk -m 10 -o /dev/null -w '%{http_code}' --noproxy '*' "$@" "$url" 2>/dev/null || true)
		case $code in 200 | 401) return 0 ;; esac
		sleep 0.1
	done
	echo "nothing answers at $url"
	return 1
}

# start_registry DIR [plain|tls|tls-client|token]: a registry with its storage and config in
# DIR; sets REG_PORT and writes DIR/pid. tls: a CA (DIR/ca.crt), a certificate for 127.0.0.1,
# and htpasswd Basic auth for user `berth`, password `s3cret pass`; tls-client: the same
# certificates, no password, but a client certificate signed by the CA is required
# (DIR/client.cert, DIR/client.key); token: Bearer tokens from start_token_server's server.
start_registry() {
	local dir=$1 mode=${2:-plain} port i
	mkdir -p "$dir/data"
	for i in 1 2 3 4 5; do
		port=$(free_port)
		{
			echo "version: 0.1"
			echo "log: {level: error, accesslog: {disabled: true}}"
			echo "storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}"
			echo "http:"
			echo "  addr: 127.0.0.1:$port"
			if [ "$mode" = tls ]; then
				echo "  tls: {certificate: $dir/server.crt, key: $dir/server.key}"
				echo "auth: {htpasswd: {realm: berth-test, path: $dir/htpasswd}}"
			fi
			if [ "$mode" = tls-client ]; then
				echo "  tls: {certificate: $dir/server.crt, key: $dir/server.key, clientcas: [$dir/ca.crt]}"
			fi
			if [ "$mode" = token ]; then
				echo "auth: {token: {realm: 'http://127.0.0.1:$(cat "$dir/token.port")/token', service: berth-registry, issuer: berth-test-issuer, rootcertbundle: $dir/token.crt}}"
			fi
		} >"$dir/config.yml"
		if [ "$mode" != plain ] && [ "$mode" != token ] && [ ! -e "$dir/server.crt" ]; then
			make_certs "$dir"
			htpasswd -B -b -c "$dir/htpasswd" berth 's3cret pass' 2>/dev/null
		fi
		docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 3>&- &
		echo $! >"$dir/pid"
		local scheme=http
		case $mode in tls*) scheme=https ;; esac
		local auth=()
		[ "$mode" = tls-client ] && auth=(--cert "$dir/client.cert" --key "$dir/client.key")
		if wait_http "$scheme://127.0.0.1:$port/v2/" "${auth[@]}"; then
			REG_PORT=$port
			echo "$port" >"$dir/port"
			return 0
		fi
		# the port was taken meanwhile: another one
		kill "$(cat "$dir/pid")" 2>/dev/null || true
	done
	cat "$dir/log"
	return 1
}

# start_token_server DIR: tests/tools/tokenserver.py with a key and certificate of its own
# (DIR/token.crt, the registry's rootcertbundle), for user `berth`, password `s3cret pass`;
# writes DIR/token.port and DIR/token.pid; DIR/token.log lists the requests.
start_token_server() {
	local d=$1 i
	mkdir -p "$d"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-token \
		-keyout "$d/token.key" -out "$d/token.crt" 2>/dev/null
	python3 "$BERTH_TOP/tests/tools/tokenserver.py" "$d/token.key" "$d/token.crt" \
		berth-test-issuer berth 's3cret pass' "$d/token.port" "$d/token.log" \
		>"$d/token.out" 2>&1 3>&- &
	echo $! >"$d/token.pid"
	for i in $(seq 1 1200); do
		[ -e "$d/token.port" ] && return 0
		sleep 0.1
	done
	echo "the token server did not start"
	cat "$d/token.out"
	return 1
}

# make_certs DIR: DIR/ca.crt and a server certificate for 127.0.0.1 signed by it.
make_certs() {
	local d=$1
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=berth-test-ca \
		-keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
		-keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$d/ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext" -out "$d/server.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=berth-test-client \
		-keyout "$d/client.key" -out "$d/client.csr" 2>/dev/null
	printf 'extendedKeyUsage=clientAuth\n' >"$d/ext-client"
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/ext-client" -out "$d/client.cert" 2>/dev/null
}

# stop_pidfile FILE: end the process whose pid FILE holds, and wait for it.
stop_pidfile() {
	local pid
	[ -e "$1" ] || return 0
	pid=$(cat "$1")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$1"
}
