"""Tools that prepare or run a model outside the library, for llama.cpp and other servers; not backends.

- :mod:`judgeforge.tools.gguf`: convert a Hugging Face folder to GGUF with llama.cpp's own converter;
- :mod:`judgeforge.tools.local_server`: run ``python -m llama_cpp.server`` (or any OpenAI-compatible server
  command) on 127.0.0.1 and yield its URL, for the ``openai`` backend to call.

The ``llama_cpp`` and ``openai`` backends themselves stay in :mod:`judgeforge.backends`.
"""
