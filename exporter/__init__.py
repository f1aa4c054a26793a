"""exporter: news articles to email newsletters, PDF briefings and EPUB collections."""
