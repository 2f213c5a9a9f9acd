"""``python -m telecom_nb`` is the ``telecom-nb`` command."""

from telecom_nb.cli import main

raise SystemExit(main())
