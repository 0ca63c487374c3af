# lessons/ — `make lesson N=NN` grades a student's lesson; the proof that
# every lesson grades honestly runs in `make test`.
#
#   make lesson N=01               build the project's own tests against the
#                                  student's files in lessons/01-*/ and say,
#                                  in plain words, what works and what not
#   make lesson N=01 SERVER=1      build the real server with the student's
#                                  file in it and start it (Ctrl-C stops it)
#   make lesson N=01 STUDENT_DIR=path/to/copy   grade files kept elsewhere
#
# The work is done by lessons/grade.sh (it reads lessons/NN-*/lesson.conf).
# It calls make again with LESSON_BUILD=1, B=build/lesson-NN/<who> and
# BIN=bin/lesson-NN/<who>, and points the unit's *_SRC variable at the
# student's file, so a lesson build never touches the normal build.

# grade.sh runs make itself: "+" lets it share this make's job slots.
lesson:
	+@lessons/grade.sh "$(N)" $(if $(filter 1 yes true,$(SERVER)),--server) \
		$(if $(STUDENT_DIR),--dir "$(STUDENT_DIR)")

# The proof (every starter fails its check, every reference passes), the
# mutation proof (every wrong variant in lessons/NN-*/mutants/ fails), and
# the check that every code anchor in every README still points at one line.
SLOW_TESTS += tests/e2e/lessons_check.sh tests/e2e/lessons_mutants.sh
E2E_TESTS += scripts/check-anchors.sh

# `make handout`: the student tree, build/handout/rtlab-handout/ and its
# tarball: every lesson's reference units replaced by their starters, the
# graders intact, no solution in it (lessons/tools/handout.sh; the check:
# tests/e2e/handout_check.sh).
.PHONY: handout
handout:
	+@lessons/tools/handout.sh
SLOW_TESTS += tests/e2e/handout_check.sh tests/e2e/grade_check.sh

# `make grade`: every lesson, the score per lesson and in all, and a
# Gradescope results.json (build/grade/results.json; STUDENT_DIR=path grades
# a submission holding the lesson folders by name; N=NN only that lesson).
.PHONY: grade
grade:
	+@lessons/tools/grade-all.sh $(if $(STUDENT_DIR),--dir "$(STUDENT_DIR)") $(N)

# ---- lesson 11, the final project: presence and "is typing" ----
# Its reference is kept with the lessons' reference answers (no server runs
# it yet); a handout has only the starter, which this falls back to.
PRESENCE_SRC ?= $(firstword $(wildcard tests/e2e/lessons_ref/11-final-presence/presence.c) \
                            lessons/11-final-presence/presence.c)
PRESENCE_OBJ := $(B)/tests/e2e/lessons_ref/11-final-presence/presence.o
$(PRESENCE_OBJ): $(PRESENCE_SRC)
	$(COMPILE)
$(PRESENCE_OBJ) $(B)/tests/unit/test_presence.o: CPPFLAGS += -Ilessons/11-final-presence -Isse -Iwebsocket
UNIT_TESTS += $(BIN)/tests/test_presence
$(BIN)/tests/test_presence: $(B)/tests/unit/test_presence.o $(PRESENCE_OBJ) $(B)/sse/sse_encode.o \
                            $(B)/websocket/ws_frame.o
	$(LINK_TEST)
