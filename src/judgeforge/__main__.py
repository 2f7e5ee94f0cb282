from judgeforge.cli.main import main

raise SystemExit(main(leave_early=True))
