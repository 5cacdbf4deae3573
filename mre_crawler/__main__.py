import sys

from mre_crawler.cli import main

sys.exit(main())
