import sys

from nctransport.cli import main

sys.exit(main())
