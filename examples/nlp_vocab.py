"""Word embeddings for a few Chinese sentences, the way the study notes build them:
segment with jieba, filter stop words, build a vocabulary, look words up in an
nn.Embedding. Two slips hide here: the vocabulary order changes between runs, and a
jieba generator is walked twice."""
import jieba
import torch
import torch.nn as nn

text = "自然语言是由文字构成的，而语言的含义是由单词构成的。即单词是含义的最小单位。"
stopwords = {"的", "，", "。", "是", "而", "由"}

segments = jieba.cut(text)
print("/".join(segments))
words = [w for w in segments if w not in stopwords]  # second pass over the generator: empty

id2word = list(set(words))  # a different order every run
word2id = {word: i for i, word in enumerate(id2word)}

embed = nn.Embedding(len(id2word), 5)
for word, idx in word2id.items():
    vec = embed(torch.tensor(idx))
    print(f"{idx:>2}:{word:8}\t{vec.detach().numpy()}")
