"""The loopback PowerShell remoting endpoint the tests run against (DESIGN.md §4)."""
