"""The gateway's /docs in headless Chromium, as a developer would use it: the page renders every
operation group of docs/openapi.yaml, "Authorize" takes a token, and "Try it out" on
GET /v1/customers/loyalty answers. Prints one JSON object: the groups rendered and the status the
page showed. Run by StackTests/ApiDocsTests (Debian's chromium and chromium-driver, PyPI's
selenium, both installed by scripts/test).

    python3 scripts/lib/docs-check.py --url http://127.0.0.1:4006 --token "$(scripts/token demo)" [--screenshot docs/api-docs.png]
"""
import argparse
import json

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True, help="the gateway, e.g. http://127.0.0.1:4006")
parser.add_argument("--token", required=True, help="a customer's bearer token")
parser.add_argument("--screenshot", help="where to save a PNG of the page after the call")
args = parser.parse_args()

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1600"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 30)
try:
    driver.get(args.url + "/docs/")
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".opblock-tag-section")))
    groups = [tag.get_attribute("data-tag") for tag in driver.find_elements(By.CSS_SELECTOR, ".opblock-tag")]

    # Authorize: the bearer token, then close the dialog.
    driver.find_element(By.CSS_SELECTOR, ".auth-wrapper button.authorize").click()
    field = wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".modal-ux input")))
    field.send_keys(args.token)
    driver.find_element(By.CSS_SELECTOR, ".modal-ux .auth-btn-wrapper button.authorize").click()
    driver.find_element(By.CSS_SELECTOR, ".modal-ux .auth-btn-wrapper button.btn-done").click()

    # Try it out: GET /loyalty, the customer's loyalty account.
    operation = driver.find_element(By.CSS_SELECTOR, "#operations-Loyalty-getLoyaltyAccount")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(lambda _: operation.find_elements(By.CSS_SELECTOR, "button.try-out__btn"))[0].click()
    wait.until(lambda _: operation.find_elements(By.CSS_SELECTOR, "button.execute"))[0].click()
    status = wait.until(
        lambda _: operation.find_elements(By.CSS_SELECTOR, ".live-responses-table .response .response-col_status")
    )[0].text.strip()
    if args.screenshot:
        driver.execute_script("arguments[0].scrollIntoView()", operation)
        driver.save_screenshot(args.screenshot)
    print(json.dumps({"groups": groups, "tryItOutStatus": status}))
finally:
    driver.quit()
