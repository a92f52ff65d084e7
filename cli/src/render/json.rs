//! NDJSON output (`--json`): one line per item, the clixml JSON view of the value with the
//! computer it came from.
