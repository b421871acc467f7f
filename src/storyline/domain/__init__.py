"""Pure domain logic over typed records: no clock, environment, network, database or broker access."""
