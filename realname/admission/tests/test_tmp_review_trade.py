import pytest
from realname.admission.forms import TradeRiskForm
from realname.admission.models import TradeRiskClass

@pytest.mark.django_db
def test_existing_trade():
    TradeRiskClass.objects.update_or_create(trade="030", defaults={"risk_class": "high"})
    f = TradeRiskForm({"trade": "030", "risk_class": "normal"})
    print("valid:", f.is_valid(), f.errors)
    assert f.is_valid()
