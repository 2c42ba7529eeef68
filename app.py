"""genviz: the Streamlit entry point. It only configures the app and routes to pages/."""
import streamlit as st

st.set_page_config(page_title="genviz", page_icon="🧠", layout="wide")

# Each group lists its pages; a page file is UI only (widgets → genviz calls → figures).
PAGES = {
    "genviz": [
        st.Page("pages/home.py", title="Home", icon="🏠", default=True),
        st.Page("pages/train.py", title="Train", icon="🏋️"),
    ],
    "Autoencoders": [
        st.Page("pages/ae_reconstructions.py", title="Reconstructions", icon="🔁"),
    ],
    "GANs": [],
    "Embeddings": [],
    "Team ability": [],
    "Concepts": [],
}

groups = {group: pages for group, pages in PAGES.items() if pages}
st.session_state["gv_pages"] = groups  # the home page links every page
pg = st.navigation(groups)
pg.run()
