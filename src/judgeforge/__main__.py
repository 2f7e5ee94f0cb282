from judgeforge.cli.main import main

raise SystemExit(main())
