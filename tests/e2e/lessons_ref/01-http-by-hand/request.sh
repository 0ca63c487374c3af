#!/bin/sh
# The reference answer to lessons/01-http-by-hand/request.sh, for the proof
# in tests/e2e/lessons_check.sh (a teacher may show it after the lesson).
printf 'POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 12\r\n\r\n'
printf 'hello, rtlab'
printf 'GET /poll?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'
