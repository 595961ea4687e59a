"""The Gradio web app: the app, one module per tab, the API endpoints, HTML helpers."""
