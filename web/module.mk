# web/ — the browser demo. Plain files served as they are: nothing to build.
# Its test drives the page in headless Chromium against all four servers
# (make run starts them for a person: scripts/run-demo.sh).
E2E_TESTS += tests/e2e/web_demo.sh
