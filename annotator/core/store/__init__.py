"""The only SQL in Annotator: the project file's connection, schema and parts.

`annotator.core.project.Project` is the facade callers use; see its docstring for the parts.
"""
