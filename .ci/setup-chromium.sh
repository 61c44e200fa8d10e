# Sourced by .ci/run (as root, set -euo pipefail): Debian's chromium for the browser test of
# the published site (tests/test_site_browser.py, driven by Playwright's Python package with
# executable_path, so no browser is downloaded). Installs it if missing and exports its path.
if [ ! -x /usr/bin/chromium ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
export MLPBENCH_CHROMIUM=/usr/bin/chromium
