// LabKit: what the root acceptance tests share (namespaces, processes, waits, tools).
