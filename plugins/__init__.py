"""rostersync's built-in sources and targets, each written as a third party would."""
