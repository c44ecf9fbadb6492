from vgprobe.cli import main

raise SystemExit(main())
