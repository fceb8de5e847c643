"""Digital twins: stateful behavioural clones of the services software talks to (import name
``holdout_twins``)."""
