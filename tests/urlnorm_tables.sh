#!/bin/sh
# The Unicode tables in src/urlnorm.c equal what their generator makes from
# Debian's unicode-data (scripts/gen_urlnorm_tables.py). Runs in well under a
# second, offline; skipped, and said so, where unicode-data is not installed
# (scripts/deps.sh installs it).
cd "$(dirname "$0")/.."
if [ ! -r /usr/share/unicode/UnicodeData.txt ]; then
	echo "skip urlnorm_tables: /usr/share/unicode/UnicodeData.txt missing (apt-get install unicode-data)"
	echo "urlnorm_tables: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
if python3 scripts/gen_urlnorm_tables.py --check src/urlnorm.c; then
	echo "urlnorm_tables: 1 passed, 0 failed"
else
	echo "urlnorm_tables: 0 passed, 1 failed"
	exit 1
fi
