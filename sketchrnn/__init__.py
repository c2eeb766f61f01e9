"""Sketch-RNN (Ha & Eck 2017) in Keras 3: encoder, LayerNorm-LSTM decoder, mixture head, sampling."""
