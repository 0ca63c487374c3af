#!/bin/sh
# lessons/01-http-by-hand/request.sh — YOUR two requests, written by hand,
# byte for byte. `make lesson N=01` runs this script, sends exactly what it
# prints to a real bin/polling over one raw TCP connection, and checks the
# answers.
#
# Print two requests, one right after the other (pipelined: the second is
# sent before the first is answered):
#   1. POST /publish whose body is exactly the 12 bytes   hello, rtlab
#   2. GET /poll?since=0, asking the server to close the connection once it
#      has answered.
#
# Every line of a head ends in CR LF, and an empty line ends the head
# (RFC 9112 §2.1). printf writes CR LF as \r\n. Use printf, not echo: echo
# adds a newline of its own, and some echos mangle backslashes.
#
# TODO(student): replace the line below with your printf lines.
printf ''
