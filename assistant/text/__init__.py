"""Text rules shared by every stage: language, words and tokens, sentences, question types, the glossary."""
