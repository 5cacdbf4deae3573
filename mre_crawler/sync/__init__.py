"""``mre sync``: keep every followed track current (issue 10).

- :mod:`.plan` decides, from the database alone, what a track's sync must fetch (a plan that can be
  run in-process or, later, pushed to workers);
- :mod:`.lock` keeps one sync at a time;
- :mod:`.runner` executes the plans, records the run and builds the warehouse when rows changed;
- :mod:`.summary` says what is new.
"""
