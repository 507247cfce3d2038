"""Example modules shipped with stdblite: loaded as files, not imported."""
