#!/bin/sh
# A three-node RabbitMQ cluster with the MQTT plugin on loopback, for the city link's portability
# run (make test-rabbitmq; docs/CITY.md). Usage: rabbitmq-cluster.sh start|stop DIR BASE_PORT
# Node N (1..3) listens for MQTT on BASE_PORT+N-1, AMQP on BASE_PORT+100+N, distribution on
# BASE_PORT+200+N. Everything lives under DIR (its own Erlang cookie in DIR/home).
set -eu
action=$1 dir=$2 base=$3
bin=/usr/lib/rabbitmq/bin
host=$(hostname -s)
node_env() { # n
    n=$1
    mkdir -p "$dir/node$n" "$dir/home"
    export HOME="$dir/home"
    export RABBITMQ_NODENAME="carillon$n@$host"
    export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    export RABBITMQ_NODE_PORT=$((base + 100 + n))
    export RABBITMQ_DIST_PORT=$((base + 200 + n))
    export RABBITMQ_MNESIA_BASE="$dir/node$n/mnesia"
    export RABBITMQ_LOG_BASE="$dir/node$n/log"
    export RABBITMQ_PID_FILE="$dir/node$n/pid"
    export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
    export RABBITMQ_CONFIG_FILE="$dir/node$n/rabbitmq"
    export RABBITMQ_ADVANCED_CONFIG_FILE="$dir/node$n/advanced.config"
    printf '[].\n' > "$dir/node$n/advanced.config"
    cat > "$dir/node$n/rabbitmq.conf" <<CONF
listeners.tcp.default = $((base + 100 + n))
mqtt.listeners.tcp.default = $((base + n - 1))
mqtt.allow_anonymous = true
mqtt.default_user = guest
mqtt.default_pass = guest
loopback_users = none
CONF
}
case $action in
start)
    mkdir -p "$dir/home"
    [ -f "$dir/home/.erlang.cookie" ] || { head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/home/.erlang.cookie"; chmod 400 "$dir/home/.erlang.cookie"; }
    printf '[rabbitmq_mqtt].\n' > "$dir/enabled_plugins"
    for n in 1 2 3; do
        # In DIR, where its crash dump goes if it fails.
        ( node_env $n; cd "$dir/node$n"; "$bin/rabbitmq-server" > "$dir/node$n/stdout.log" 2>&1 & )
    done
    # A node is unknown to the CLI until it has registered with epmd: ask again until it answers.
    for n in 1 2 3; do
        tries=0
        until ( node_env $n; "$bin/rabbitmqctl" -n "$RABBITMQ_NODENAME" await_startup --timeout 120 > /dev/null 2>&1 ); do
            tries=$((tries + 1))
            if [ $tries -ge 120 ]; then echo "node $n did not start: $dir/node$n/stdout.log" >&2; tail -20 "$dir/node$n/stdout.log" >&2; exit 1; fi
            sleep 2
        done
    done
    for n in 2 3; do
        ( node_env $n
          "$bin/rabbitmqctl" -n "$RABBITMQ_NODENAME" stop_app > /dev/null
          "$bin/rabbitmqctl" -n "$RABBITMQ_NODENAME" join_cluster "carillon1@$host" > /dev/null
          "$bin/rabbitmqctl" -n "$RABBITMQ_NODENAME" start_app > /dev/null )
    done
    ( node_env 1; "$bin/rabbitmqctl" -n "$RABBITMQ_NODENAME" cluster_status | grep -c "carillon[123]@" > /dev/null )
    echo "cluster of 3 nodes: MQTT on 127.0.0.1:$base, $((base + 1)), $((base + 2))"
    ;;
stop)
    for n in 3 2 1; do
        ( node_env $n; "$bin/rabbitmqctl" -n "$RABBITMQ_NODENAME" stop > /dev/null 2>&1 || true )
        # A node the CLI cannot reach is ended by the pid it wrote.
        if [ -f "$dir/node$n/pid" ] && kill -0 "$(cat "$dir/node$n/pid")" 2>/dev/null; then kill "$(cat "$dir/node$n/pid")"; fi
    done
    ;;
esac
