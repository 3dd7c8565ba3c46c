"""Use cases: what the tool does for its users (analyse a clip, import, record a protocol, practise,
watch live, follow trends), with no Qt. They compute; the store only keeps what they give it."""
