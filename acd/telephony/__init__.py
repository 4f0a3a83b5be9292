"""The edge between ARI and the engine: events in (translate), actions out (actions), resync."""
