from synkimeter.cli import main

raise SystemExit(main())
