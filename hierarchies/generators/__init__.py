"""The generator engine (issue 7): what generators add, remove and reorder.

`engine.forest_generate` is pure (plain data in and out); `jira_source` adapts
`jira_sync.selectors` to the engine's `JiraSource`; `selectors` ties both to the stored
forest, the result cache and the viewer rule.
"""
