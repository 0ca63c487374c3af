#!/bin/sh
# bench/peers/nchan_conf.sh DIR PORT — print the nginx.conf of the Nchan peer:
# nginx with libnginx-mod-nchan, one worker, everything (pid, logs, temp
# files) under DIR, listening on 127.0.0.1:PORT. Used by bench/peers/run.sh
# and tests/e2e/peers_smoke.sh, so both measure the same configuration.
#
# One channel, "bench", whose buffer holds 8192 messages (our servers' -b
# 8192) and never expires them; one location per subscriber protocol, at the
# paths `loadgen -w nchan` uses:
#   POST /pub           the publisher (answers 201/202 with the channel's info)
#   GET  /sub/poll      interval poll: the newest message, or 304 when none is new
#   GET  /sub/longpoll  long poll: every message there is, one per line
#                       (multipart "raw"); the first poll starts at the newest
#                       one, so that it answers at once with the warm-up event,
#                       as ours does
#   GET  /sub/events    EventSource; GET /sub/ws WebSocket: from the next message
# (No multipart on the interval poll: Nchan 1.3.6 answers 304 to every
# interval poll with it on.) bench/peers/README.md lists how all this differs
# from our contract.
set -eu
dir=$1 port=$2
cat <<EOF
load_module /usr/lib/nginx/modules/ngx_nchan_module.so;
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
worker_rlimit_nofile $(ulimit -n);
events { worker_connections 16384; multi_accept on; }
http {
    access_log off;
    keepalive_timeout 75s;
    keepalive_requests 100000000;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    nchan_shared_memory_size 256M;
    nchan_message_buffer_length 8192;
    nchan_message_timeout 0;
    server {
        listen 127.0.0.1:$port;
        location = /pub           { nchan_publisher; nchan_channel_id bench; }
        location = /sub/poll      { nchan_subscriber intervalpoll; nchan_channel_id bench; }
        location = /sub/longpoll  { nchan_subscriber longpoll; nchan_channel_id bench;
                                    nchan_subscriber_first_message -1;
                                    nchan_longpoll_multipart_response raw;
                                    nchan_subscriber_timeout 30s; }
        location = /sub/events    { nchan_subscriber eventsource; nchan_channel_id bench; }
        location = /sub/ws        { nchan_subscriber websocket; nchan_channel_id bench; }
    }
}
EOF
