"""Download load tests an admin starts from the health dashboard (R21): the statistics, the
runner that drives clients against the registry's own gateway, the runs kept in the
health service's database, and the use cases the routes call."""
