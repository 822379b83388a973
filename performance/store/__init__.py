"""SQL of rep performance: activity points and the weekly to-do sources."""
